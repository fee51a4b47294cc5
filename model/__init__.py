"""heartbeat's resource acquisition with nice_failback (heartbeat.c 1.51), as a transition system.

Layer D of shared/protocol/model.md: no clocks; every timer is an action that may fire
whenever its discrete guard holds. See model/README.md for the readings we chose. Names
are loaded on first use (reading a spec file does not load the compiler).
"""

from importlib import import_module

_WHERE = {"Config": "config", "HeartbeatModel": "heartbeat"}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
