"""heartbeat 1.51 with nice_failback as a checker Model (layer D of model.md)."""

from __future__ import annotations

from hacheck.checker import Model
from hacheck.model.actions import action_table
from hacheck.model.state import initial_state
from hacheck.model.symmetry import Decoder, automorphisms, encode_under


class HeartbeatModel(Model):
    def __init__(self, cfg):
        self.cfg = cfg
        self._table = action_table(cfg)
        group = automorphisms(cfg)
        self._identity = group[0]
        self._symmetries = tuple(group[1:])
        self._decoder = Decoder(cfg)

    def init_states(self):
        return [initial_state(self.cfg)]

    def successors(self, state):
        cfg = self.cfg
        for action, effect in self._table:
            nxt = effect(cfg, state, *action.args)
            if nxt is not None:
                yield action, nxt

    def actions(self, state):
        return [action for action, _ in self.successors(state)]

    def next_state(self, state, action):
        for candidate, effect in self._table:
            if candidate == action:
                return effect(self.cfg, state, *action.args)
        raise KeyError(action)

    def encode(self, state) -> bytes:
        return encode_under(self.cfg, state, self._identity)

    def decode(self, key: bytes):
        return self._decoder.decode(key)

    def symmetries(self):
        return self._symmetries

    def encode_under(self, state, symmetry) -> bytes:
        return encode_under(self.cfg, state, symmetry)

    @property
    def symmetry_group_size(self) -> int:
        return 1 + len(self._symmetries)
