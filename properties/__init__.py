"""The properties hacheck checks on the heartbeat model (model.md section 6)."""

from hacheck.properties.liveness import L0, L1, liveness_properties
from hacheck.properties.safety import S1, no_group_held_twice

__all__ = ["S1", "L0", "L1", "no_group_held_twice", "safety_properties",
           "liveness_properties", "all_properties"]


def safety_properties(cfg):
    return [S1(cfg)]


def all_properties(cfg):
    """S1, then L0 and L1."""
    return safety_properties(cfg) + liveness_properties(cfg)
