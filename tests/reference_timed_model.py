"""The reference for the compiled timed model (`model.timed_model`): heartbeat with
layer T in plain Python, timed states (layer-D state, pair flags, zone) and their
successors, searched by `reference_timed_search`. The tests compare the two on small
configurations: same verdicts, same counterexample lengths, same discrete states.

A successor is computed as in UPPAAL: the action's window (its lower bound) restricts the
zone, clocks are carried or reset (`timed.carry`), the obligations of the new state bound
them from above, time passes unless an own message is waiting, the obligations bound it
again, and the zone is extrapolated to the constants the clocks are compared with.
Symmetry renames clocks with their nodes; the canonical timed state is the least image
(discrete part, then flags, then zone) over the configuration's automorphisms.
"""

from __future__ import annotations

from itertools import product
from typing import NamedTuple

import numpy as np

from hacheck.checker import zones
from hacheck.model import timed
from hacheck.model.heartbeat import ENVIRONMENT_ACTIONS, HeartbeatModel
from hacheck.model.state import DEFAULT_CAPACITY
from hacheck.model.symmetry import image
from hacheck.model.timing import TimingParameters
from hacheck.model.view import ClusterState, initial_state, unpack


class TimedState(NamedTuple):
    state: ClusterState
    flags: tuple
    zone: np.ndarray
    row: bytes           # the layer-D state, encoded
    clocks: list         # timed.clocks(state, flags), in the zone's order


class TimedHeartbeat:
    def __init__(self, cfg, params: TimingParameters = TimingParameters(),
                 capacity: int = DEFAULT_CAPACITY):
        params = params.with_environment(cfg)
        self.cfg, self.params = cfg, params
        self.untimed = HeartbeatModel(cfg, capacity=capacity)
        self.capacity = capacity
        self.units = params.in_units()
        self.symmetry_group_size = self.untimed.symmetry_group_size
        self._renamings = [self._renaming(pi) for pi in self.untimed.group]
        self._ceiling = {kind: timed.value(b, self.units) for kind, b in timed.CEILING.items()}

    # --- the engine's interface --------------------------------------------------------------

    def initial(self) -> list[TimedState]:
        s = initial_state(self.cfg)
        flags = (0,) * (self.cfg.N ** 2)
        z = zones.zero(0)
        zones.up(z)
        return [TimedState(s, flags, z, self.untimed.encode(s), [])]

    def successors(self, ts: TimedState, symmetry: bool) -> list[tuple]:
        """(action, timed state) for every action the zone allows, in action order."""
        out = []
        index = {c: x + 1 for x, c in enumerate(ts.clocks)}
        row = np.frombuffer(ts.row, dtype=np.uint8)[None, :]
        succ = self.untimed.successors(row, False, False)
        for a, t_row in zip(succ.action, succ.rows):
            action = self.untimed.table[a]
            if not timed.crash_allowed(self.cfg, ts.state, ts.flags, action):
                continue
            t = unpack(self.untimed.k, t_row)
            for nxt in self.step(ts, action, t, index, t_row.tobytes()):
                out.append((action, self.canonical(nxt) if symmetry else nxt))
        return out

    def step(self, ts: TimedState, action, t: ClusterState, index: dict,
             t_row: bytes) -> list[TimedState]:
        cfg, units = self.cfg, self.units
        s, flags = ts.state, ts.flags
        z = ts.zone.copy()
        w = timed.window(cfg, s, flags, action)
        if w is not None and not zones.constrain(z, 0, index[w.clock], zones.le(-timed.value(w.lo, units))):
            return []
        new_flags, origin = timed.carry(cfg, s, flags, action, t)
        ties = [c for c, src in origin.items() if isinstance(src, tuple) and src[0] == timed.TIE]
        results = []
        for same_instant in product((True, False), repeat=len(ties)):
            zz = z.copy()
            fl = list(new_flags)
            org = dict(origin)
            ok = True
            for c, same in zip(ties, same_instant):
                old = index[org[c][1]]
                if same:   # j booted at this very instant: its start-up window applies
                    ok = ok and zones.constrain(zz, old, 0, zones.le(0))
                    org[c] = org[c][1]
                else:      # i boots later than j: i's boot is the anchor
                    ok = ok and zones.constrain(zz, 0, old, zones.lt(0))
                    org[c] = timed.FRESH
                    fl[c[1] * cfg.N + c[2]] = timed.LATE_BOOT
            if not ok:
                continue
            nxt = self._enter(t, t_row, tuple(fl), zz, org, index)
            if nxt is not None:
                results.append(nxt)
        return results

    def _enter(self, t, t_row, flags, z, origin, index):
        cfg = self.cfg
        names = timed.clocks(cfg, t, flags)
        source = np.array([0 if origin[c] is timed.FRESH else index[origin[c]] for c in names],
                          dtype=np.int64)
        z = zones.transfer(z, source)
        bounds = [(x, timed.obligation(cfg, t, flags, c)) for x, c in enumerate(names, 1)]
        bounds = [(x, zones.le(timed.value(b, self.units))) for x, b in bounds if b is not None]
        if not all(zones.constrain(z, x, 0, b) for x, b in bounds):
            return None
        if timed.time_may_pass(t):
            zones.up(z)
            for x, b in bounds:
                zones.constrain(z, x, 0, b)
        ceiling = np.array([0] + [self._ceiling[c[0]] for c in names], dtype=np.int64)
        zones.extrapolate(z, ceiling)
        return TimedState(t, flags, z, t_row, names)

    def key(self, ts: TimedState) -> bytes:
        return ts.row + bytes(ts.flags)

    def zone(self, ts: TimedState) -> np.ndarray:
        return ts.zone

    def view(self, ts: TimedState) -> ClusterState:
        return ts.state

    def is_environment(self, action) -> bool:
        return action.name in ENVIRONMENT_ACTIONS

    def time_can_pass(self, ts: TimedState) -> bool:
        """No obligation bounds the clocks and no own message waits: time may pass for ever."""
        return timed.time_may_pass(ts.state) and bool((ts.zone[1:, 0] >= zones.INF).all())

    # --- symmetry ----------------------------------------------------------------------------

    def _renaming(self, pi):
        cfg = self.cfg
        pi = [int(p) for p in pi]
        sigma = {}
        for i in range(cfg.N):
            for g, h in zip(cfg.H(i), cfg.H(pi[i])):
                sigma[g] = h
        order = np.empty(cfg.N, dtype=np.int64)
        for i in range(cfg.N):
            order[pi[i]] = i
        return pi, sigma, order, np.array(pi, dtype=np.int64)

    def canonical(self, ts: TimedState) -> TimedState:
        if self.symmetry_group_size == 1:
            return ts
        k = self.untimed.k
        row = np.frombuffer(ts.row, dtype=np.uint8)
        images = []
        for pi, sigma, order, pi_arr in self._renamings:
            out = np.empty_like(row)
            image(k, row, out, order, pi_arr)
            images.append(out.tobytes())
        least = min(images)
        best = None
        for (pi, sigma, order, _), img in zip(self._renamings, images):
            if img != least:
                continue
            state = unpack(k, np.frombuffer(img, dtype=np.uint8).copy())
            flags = timed.flags_image(ts.flags, self.cfg.N, pi)
            old = {timed.clock_image(c, pi, sigma): x for x, c in enumerate(ts.clocks, 1)}
            names = timed.clocks(self.cfg, state, flags)
            z = zones.permuted(ts.zone, [old[c] for c in names])
            candidate = (bytes(flags), z.tobytes())
            if best is None or candidate < best[0]:
                best = (candidate, TimedState(state, flags, z, img, names))
        return best[1]

