"""heartbeat's resource acquisition with nice_failback (heartbeat.c 1.51), as a transition system.

Layer D of shared/protocol/model.md: no clocks; every timer is an action that may fire
whenever its discrete guard holds. See model/README.md for the readings we chose.
"""

from hacheck.model.config import Config
from hacheck.model.heartbeat import HeartbeatModel

__all__ = ["Config", "HeartbeatModel"]
