"""Symmetry of the model and its compact encoding (model.md section 5, note 4).

A symmetry is a node permutation pi together with a group permutation sigma such that
home[sigma(g)] = pi(home[g]). We take, for each node permutation that maps every node to a
node with as many local groups, the sigma that maps the k-th local group of i to the k-th
local group of pi(i) (groups in index order). That choice keeps the order in which CHILD
sends its `ip-request`s, so each (pi, sigma) is an automorphism of the transition system,
not only of the state space; see model/README.md.

The encoding of a state is a byte string: budgets, links, `rq`, then each node (its scalar
variables, its peer masks, its `own` mask, its status pipe), then every channel, each
sequence prefixed by its length. Messages are one byte each; the sender is implicit in the
channel they sit in. `encode_under(state, sym)` encodes the image of the state under `sym`
directly, without building the image.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import permutations

from hacheck.checker import ModelBoundError
from hacheck.model.state import T_IPREQ, T_IPRESP, T_RESOURCES, T_STARTING


@dataclass(frozen=True)
class Symmetry:
    node_map: tuple[int, ...]      # pi: node i goes to node_map[i]
    group_map: tuple[int, ...]     # sigma: group g goes to group_map[g]
    node_inv: tuple[int, ...]      # position k of the image holds node node_inv[k]
    node_mask: tuple[int, ...]     # image of every node mask (N <= 8)
    group_mask_lo: tuple[int, ...] # image of the low byte of a group mask
    group_mask_hi: tuple[int, ...] # image of the high byte
    conn_bits: tuple[tuple[int, int], ...]
    channel_order: tuple[int, ...]  # ch index of the state feeding each channel of the image
    # Caches of encoded pieces under this symmetry: a message, a node (with its `own`),
    # a channel, the global header. Pieces recur across millions of states.
    codes: dict = field(default_factory=dict, compare=False, hash=False)
    node_pieces: dict = field(default_factory=dict, compare=False, hash=False)
    channel_pieces: dict = field(default_factory=dict, compare=False, hash=False)
    header_pieces: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_identity(self) -> bool:
        return self.node_map == tuple(range(len(self.node_map))) and \
            self.group_map == tuple(range(len(self.group_map)))


def make_symmetry(cfg, node_map, group_map) -> Symmetry:
    N, G = cfg.N, cfg.G
    inv = [0] * N
    for i, k in enumerate(node_map):
        inv[k] = i

    def image(mask, mapping):
        return sum(1 << mapping[b] for b in range(len(mapping)) if mask >> b & 1)

    node_mask = tuple(image(m, node_map) for m in range(1 << N))
    lo = tuple(image(m, group_map[:8]) for m in range(256)) if G else (0,) * 256
    hi_map = group_map[8:]
    hi = tuple(sum(1 << hi_map[b] for b in range(len(hi_map)) if m >> b & 1) for m in range(256))
    conn_bits = tuple(
        (i * N + j, min(node_map[i], node_map[j]) * N + max(node_map[i], node_map[j]))
        for i in range(N) for j in range(i + 1, N)
    )
    channel_order = tuple(inv[k] * N + inv[l] for k in range(N) for l in range(N) if k != l)
    return Symmetry(tuple(node_map), tuple(group_map), tuple(inv), node_mask, lo, hi, conn_bits,
                    channel_order)


def automorphisms(cfg) -> list[Symmetry]:
    """Every symmetry of the configuration, the identity first."""
    N = cfg.N
    H = cfg.local_groups
    result = []
    for pi in permutations(range(N)):
        if any(len(H[i]) != len(H[pi[i]]) for i in range(N)):
            continue
        sigma = [0] * cfg.G
        for i in range(N):
            for g, h in zip(H[i], H[pi[i]]):
                sigma[g] = h
        result.append(make_symmetry(cfg, pi, sigma))
    return result


def message_code(cfg, sym: Symmetry, m: tuple) -> int:
    """One byte for a message, under the symmetry; the sender is left out (implicit)."""
    code = sym.codes.get(m)
    if code is None:
        kind = m[0]
        if kind == T_STARTING:
            code = 1
        elif kind == T_RESOURCES:
            _, _, n, st, md = m
            code = 2 + n * 6 + st * 2 + md
        elif kind == T_IPREQ:
            code = 26 + sym.group_map[m[2]]
        elif kind == T_IPRESP:
            _, _, dest, g = m
            code = 26 + cfg.G + sym.node_map[dest] * cfg.G + sym.group_map[g]
        else:
            raise ValueError(f"unknown message {m!r}")
        sym.codes[m] = code
    return code


CACHE_LIMIT = 1 << 20   # entries per piece cache before it is emptied (bounds memory)


def encode_under(cfg, s, sym: Symmetry) -> bytes:
    """The encoding of the image of `s` under `sym`, assembled from cached pieces."""
    pieces = []
    header = (s.crashes_left, s.restarts_left, s.toggles_left, s.conn, s.rq)
    piece = sym.header_pieces.get(header)
    if piece is None:
        piece = _cached(sym.header_pieces, header, _header_piece(s, sym))
    pieces.append(piece)
    node_pieces = sym.node_pieces
    nodes, own = s.nodes, s.own
    for i in sym.node_inv:
        key = (nodes[i], own[i])
        piece = node_pieces.get(key)
        if piece is None:
            piece = _cached(node_pieces, key, _node_piece(cfg, sym, nodes[i], own[i]))
        pieces.append(piece)
    channel_pieces = sym.channel_pieces
    ch = s.ch
    for index in sym.channel_order:
        queue = ch[index]
        piece = channel_pieces.get(queue)
        if piece is None:
            piece = _cached(channel_pieces, queue, _sequence_piece(cfg, sym, queue))
        pieces.append(piece)
    return b"".join(pieces)


def _cached(cache: dict, key, piece: bytes) -> bytes:
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    cache[key] = piece
    return piece


def _header_piece(s, sym: Symmetry) -> bytes:
    conn = 0
    for src, dst in sym.conn_bits:
        if s.conn >> src & 1:
            conn |= 1 << dst
    rq = sym.group_mask_lo[s.rq & 255] | sym.group_mask_hi[s.rq >> 8]
    return bytes([s.crashes_left, s.restarts_left, s.toggles_left, *conn.to_bytes(8, "little"),
                  rq & 255, rq >> 8])


def _node_piece(cfg, sym: Symmetry, n, own_mask: int) -> bytes:
    nmask = sym.node_mask
    own = sym.group_mask_lo[own_mask & 255] | sym.group_mask_hi[own_mask >> 8]
    return bytes((n.ph, n.comm, n.rs, n.ih, n.oh, n.os, n.tip, n.rry, n.chld,
                  nmask[n.heard], nmask[n.dead], nmask[n.md], own & 255, own >> 8)) \
        + _sequence_piece(cfg, sym, n.selfq)


def _sequence_piece(cfg, sym: Symmetry, queue: tuple) -> bytes:
    if len(queue) > 255:
        raise ModelBoundError("a channel or status pipe holds more than 255 messages")
    return bytes([len(queue), *(message_code(cfg, sym, m) for m in queue)])


def permute(cfg, s, sym: Symmetry):
    """The image of a state under a symmetry, as a state (for checks and tests; the search
    itself only needs `encode_under`)."""
    from hacheck.model.state import ClusterState, T_IPREQ, T_IPRESP, T_RESOURCES, T_STARTING

    N = cfg.N
    pi, sigma, inv = sym.node_map, sym.group_map, sym.node_inv

    def group_mask(mask):
        return sum(1 << sigma[g] for g in range(cfg.G) if mask >> g & 1)

    def message(m):
        kind = m[0]
        if kind == T_STARTING:
            return (kind, pi[m[1]])
        if kind == T_RESOURCES:
            return (kind, pi[m[1]]) + m[2:]
        if kind == T_IPREQ:
            return (kind, pi[m[1]], sigma[m[2]])
        if kind == T_IPRESP:
            return (kind, pi[m[1]], pi[m[2]], sigma[m[3]])
        raise ValueError(m)

    nodes = []
    for k in range(N):
        n = s.nodes[inv[k]]
        nodes.append(n._replace(heard=sym.node_mask[n.heard], dead=sym.node_mask[n.dead],
                                md=sym.node_mask[n.md],
                                selfq=tuple(message(m) for m in n.selfq)))
    conn = 0
    for src, dst in sym.conn_bits:
        if s.conn >> src & 1:
            conn |= 1 << dst
    ch = [()] * (N * N)
    for i in range(N):
        for j in range(N):
            if i != j:
                ch[pi[i] * N + pi[j]] = tuple(message(m) for m in s.ch[i * N + j])
    return ClusterState(tuple(nodes), tuple(group_mask(s.own[inv[k]]) for k in range(N)),
                        group_mask(s.rq), tuple(ch), conn,
                        s.crashes_left, s.restarts_left, s.toggles_left)


class Decoder:
    """The inverse of the identity encoding. Messages are looked up in a table per sender,
    and node and channel pieces are cached, as they recur across states."""

    def __init__(self, cfg):
        self.cfg = cfg
        codes = range(1, 26 + cfg.G + cfg.N * cfg.G)
        self.messages = [{c: _decode_message(cfg, s, c) for c in codes} for s in range(cfg.N)]
        self.pieces: dict = {}

    def _sequence(self, sender: int, piece: bytes) -> tuple:
        cached = self.pieces.get((sender, piece))
        if cached is None:
            table = self.messages[sender]
            cached = _cached(self.pieces, (sender, piece), tuple(table[c] for c in piece))
        return cached

    def decode(self, key: bytes):
        """The state whose identity encoding is `key` (a canonical key decodes to the orbit
        member it encodes)."""
        from hacheck.model.state import ClusterState, NodeState

        N = self.cfg.N
        pos = 13
        nodes, own = [], []
        for i in range(N):
            (ph, comm, rs, ih, oh, os, tip, rry, chld, heard, dead, md, own_lo, own_hi,
             length) = key[pos:pos + 15]
            pos += 15
            selfq = self._sequence(i, key[pos:pos + length])
            pos += length
            nodes.append(NodeState(ph, comm, heard, dead, rs, ih, oh, os, tip, rry, chld, md,
                                   selfq))
            own.append(own_lo | own_hi << 8)
        ch = [()] * (N * N)
        for i in range(N):
            for j in range(N):
                if i != j:
                    length = key[pos]
                    ch[i * N + j] = self._sequence(i, key[pos + 1:pos + 1 + length])
                    pos += 1 + length
        return ClusterState(tuple(nodes), tuple(own), key[11] | key[12] << 8, tuple(ch),
                            int.from_bytes(key[3:11], "little"), key[0], key[1], key[2])


def _decode_message(cfg, sender: int, code: int) -> tuple:
    from hacheck.model.state import IPRESP, IPREQ, RES, STARTING

    G = cfg.G
    if code == 1:
        return STARTING(sender)
    if code < 26:
        n, rest = divmod(code - 2, 6)
        st, md = divmod(rest, 2)
        return RES(sender, n, st, md)
    if code < 26 + G:
        return IPREQ(sender, code - 26)
    dest, g = divmod(code - 26 - G, G)
    return IPRESP(sender, dest, g)
