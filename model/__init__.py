"""heartbeat's resource acquisition with nice_failback (heartbeat.c 1.51), as a transition system.

Layer D of shared/protocol/model.md: no clocks; every timer is an action that may fire
whenever its discrete guard holds. See model/README.md for the readings we chose. Names
are loaded on first use (reading a spec file does not load the compiler).
"""

from hacheck.checker.lazy import lazy_names

_WHERE = {"Config": "config", "HeartbeatModel": "heartbeat"}

__all__ = sorted(_WHERE)

__getattr__ = lazy_names(__name__, _WHERE)
