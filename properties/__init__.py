"""The properties hacheck checks on the heartbeat model (model.md section 6)."""

from hacheck.properties.safety import S1, no_group_held_twice

__all__ = ["S1", "no_group_held_twice", "safety_properties"]


def safety_properties(cfg):
    return [S1(cfg)]
