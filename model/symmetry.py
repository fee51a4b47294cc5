"""Symmetry of the model and the canonical form of a state (model.md section 5, note 4).

A symmetry is a node permutation pi with a group permutation sigma such that
home[sigma(g)] = pi(home[g]). We take, for each node permutation that maps every node to a
node with as many local groups, the sigma that maps the r-th local group of i to the r-th
local group of pi(i) (groups in index order). That choice keeps the order in which CHILD
sends its `ip-request`s, so each (pi, sigma) is an automorphism of the transition system,
not only of the state space (model/README.md, reading 6).

The canonical form of a state is the least image (rows compared as 64-bit words) over a
set of permutations that depends on the orbit only, so two states get the same canonical
row iff one is the image of the other:

1. Each node gets a signature that does not depend on node numbers: its own variables,
   the sizes of its sets, what it owns counted as local or foreign groups, and the
   contents of its queues with every node and group reference replaced by its relation
   to the node (itself, the peer of the channel, another). Signatures are refined by
   partition refinement: a node's new signature adds up (order-free) its neighbours'
   signatures together with the relation between the two (heard, dead, md, link, groups
   of one owned by the other, the two channels between them).
2. Nodes are placed in order of signature, within the positions of their cell (the
   nodes with as many local groups). Only nodes with equal signatures (a tie class) are
   permuted, and every ordering of every tie class is tried, so the result is exact.
3. A tie class whose members are interchangeable (the state is unchanged when its first
   member is swapped with any other) costs no enumeration: every ordering of it gives
   the same image. So identical nodes, such as nodes that have not booted yet, never
   cost a permutation enumeration.

`exhaustive` (a flag of `canonicalize`) instead takes the least image over the whole
group, as a cross-check in the tests and for the benchmark.
"""

from __future__ import annotations

from itertools import permutations

import numpy as np
from numba import njit

from hacheck.checker.compiled import leaf

from hacheck.model import schema
from hacheck.model.row import (
    CONN, GROUP_SETS, NODE_FIELDS, NODE_SETS, OWN, PLAIN, RQ, VARIANT_NODE_SETS, VARIANT_VALUES,
)
from hacheck.model.state import (
    K_HOME, K_LIST, K_N, K_NODES, K_QSTRIDE, K_RANK, K_WIDTH, ch, copy_row, local_groups,
    node, selfq,
)

# each message kind's first byte, and per field its stride, its size and what it names
# (model.schema.MESSAGE_KINDS): the fields that name a node or a group are renamed
_FIELDS = max(len(kind.fields) for kind in schema.MESSAGE_KINDS)
KIND_BASE = np.array([schema.BASES[kind.tag] for kind in schema.MESSAGE_KINDS], dtype=np.int64)
FIELD_STRIDE = np.array([list(schema.message_strides(kind)) + [0] * (_FIELDS - len(kind.fields))
                         for kind in schema.MESSAGE_KINDS], dtype=np.int64)
FIELD_SIZE = np.array([[f.size for f in kind.fields] + [1] * (_FIELDS - len(kind.fields))
                       for kind in schema.MESSAGE_KINDS], dtype=np.int64)
NAMES_NODE, NAMES_GROUP = 1, 2
# a node signature's hash of a message that names nodes or groups: a base per kind and a
# weight per such field, for its relation to the queue's ends (hashing constants: the
# message itself for a kind that names neither)
_SIGNATURES = {"IPREQ": (150, (1,)), "IPRESP": (100, (3, 9))}
SIGNATURE_BASE = np.array([_SIGNATURES.get(kind.tag, (0, ()))[0]
                           for kind in schema.MESSAGE_KINDS], dtype=np.int64)
SIGNATURE_WEIGHT = np.array([list(_SIGNATURES.get(kind.tag, (0, ()))[1])
                             + [0] * (_FIELDS - len(_SIGNATURES.get(kind.tag, (0, ()))[1]))
                             for kind in schema.MESSAGE_KINDS], dtype=np.int64)
FIELD_NAMES = np.array([[{schema.SENDER: NAMES_NODE, schema.GROUP_FIELD: NAMES_GROUP}.get(f.role, 0)
                         for f in kind.fields] + [0] * (_FIELDS - len(kind.fields))
                        for kind in schema.MESSAGE_KINDS], dtype=np.int64)


def automorphisms(cfg) -> np.ndarray:
    """Every symmetry of the configuration as its node permutation (row p: node i goes
    to p[i]), the identity first. The group permutation follows from it."""
    H = cfg.local_groups
    group = [pi for pi in permutations(range(cfg.N))
             if all(len(H[i]) == len(H[pi[i]]) for i in range(cfg.N))]
    return np.array(group, dtype=np.int64).reshape(len(group), cfg.N)


def group_image_py(cfg, g: int, pi) -> int:
    """sigma(g) in Python: the group of pi(home[g]) at the rank g has at its home."""
    home = cfg.home[g]
    return cfg.H(int(pi[home]))[cfg.H(home).index(g)]


# --- the image of a state under a permutation ------------------------------------------------

@leaf
def group_image(k, g, pi):
    """sigma(g): the group of pi(home[g]) at the rank g has at its home."""
    return k[K_LIST + 8 * pi[k[K_HOME + g]] + k[K_RANK + g]]


@leaf
def node_set_image(mask, pi):
    out = 0
    x = 0
    while mask:
        if mask & 1:
            out |= 1 << pi[x]
        mask >>= 1
        x += 1
    return out


@leaf
def group_set_image(k, mask, pi):
    out = 0
    g = 0
    while mask:
        if mask & 1:
            out |= 1 << group_image(k, g, pi)
        mask >>= 1
        g += 1
    return out


@leaf
def message_kind(m):
    """The index of a message byte's kind (model.schema.MESSAGE_KINDS)."""
    kind = 0
    while kind + 1 < KIND_BASE.shape[0] and m >= KIND_BASE[kind + 1]:
        kind += 1
    return kind


@leaf
def message_image(k, m, pi):
    """The message renamed: each field that names a node or a group gets its image."""
    kind = message_kind(m)
    x = m - KIND_BASE[kind]
    out = KIND_BASE[kind]
    for f in range(FIELD_STRIDE.shape[1]):
        stride = FIELD_STRIDE[kind, f]
        if stride == 0:
            break
        v = x // stride % FIELD_SIZE[kind, f]
        if FIELD_NAMES[kind, f] == NAMES_NODE:
            v = pi[v]
        elif FIELD_NAMES[kind, f] == NAMES_GROUP:
            v = group_image(k, v, pi)
        out += v * stride
    return out


@leaf
def queue_image(k, s, q, t, p, pi):
    n = s[q]
    t[p] = n
    for x in range(1, n + 1):
        t[p + x] = message_image(k, s[q + x], pi)
    for x in range(n + 1, k[K_QSTRIDE]):
        t[p + x] = 0


@leaf
def image(k, s, t, order, pi):
    """t := the image of s under the permutation that puts node order[p] at position p
    (pi is its inverse: node i goes to pi[i])."""
    image_head(k, s, t, order, pi)
    image_queues(k, s, t, order, pi)


@leaf
def image_head(k, s, t, order, pi):
    """The part of `image` before the queues (t[:k[K_QUEUES]]): the global variables,
    the links and the nodes' variables. Cheap, and it decides most comparisons."""
    N = k[K_N]
    for x in range(CONN):
        t[x] = s[x]
    t[RQ] = group_set_image(k, s[RQ], pi)
    for p in range(N):
        i = order[p]
        t[CONN + p] = node_set_image(s[CONN + i], pi)
        a, b = node(k, i), node(k, p)
        for f in range(NODE_FIELDS):
            t[b + f] = s[a + f]
        for f in NODE_SETS:
            t[b + f] = node_set_image(s[a + f], pi)
        for f in VARIANT_NODE_SETS:
            t[b + f] = node_set_image(s[a + f], pi)
        for f in GROUP_SETS:
            t[b + f] = group_set_image(k, s[a + f], pi)


@leaf
def image_queues(k, s, t, order, pi):
    """The rest of `image`: the status pipes and the channels (from t[k[K_QUEUES]])."""
    N = k[K_N]
    for p in range(N):
        queue_image(k, s, selfq(k, order[p]), t, selfq(k, p), pi)
    for p in range(N):
        for r in range(N):
            if p != r:
                queue_image(k, s, ch(k, order[p], order[r]), t, ch(k, p, r), pi)
    for x in range(k[K_NODES] + N * NODE_FIELDS + N * N * k[K_QSTRIDE], k[K_WIDTH]):
        t[x] = 0


@leaf
def less(a, b):
    """a < b, rows compared as sequences of 64-bit words (a total order, not byte order)."""
    wa, wb = a.view(np.uint64), b.view(np.uint64)
    for x in range(wa.shape[0]):
        if wa[x] != wb[x]:
            return wa[x] < wb[x]
    return False


@leaf
def equal(a, b):
    wa, wb = a.view(np.uint64), b.view(np.uint64)
    for x in range(wa.shape[0]):
        if wa[x] != wb[x]:
            return False
    return True


# --- signatures ---------------------------------------------------------------------------------

MIX = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True)
def mix(h, v):
    h = (h ^ np.uint64(v)) * MIX
    return h ^ (h >> np.uint64(31))


@njit(cache=True)
def popcount(x):
    n = 0
    while x:
        x &= x - 1
        n += 1
    return n


@njit(cache=True)
def relation(k, x, a, b):
    """How node x stands to the pair (a, b): 0 a, 1 b, 2 another node."""
    if x == a:
        return 0
    if x == b:
        return 1
    return 2


@njit(cache=True)
def queue_signature(k, s, q, a, b):
    """The contents of a queue of a's (to b), with node and group references replaced by
    their relation to a and b."""
    h = mix(np.uint64(17), s[q])
    for x in range(1, s[q] + 1):
        m = s[q + x]
        kind = message_kind(m)
        v = m if SIGNATURE_BASE[kind] == 0 else SIGNATURE_BASE[kind]
        rest = m - KIND_BASE[kind]
        for f in range(FIELD_STRIDE.shape[1]):
            stride = FIELD_STRIDE[kind, f]
            if stride == 0:
                break
            value = rest // stride % FIELD_SIZE[kind, f]
            if FIELD_NAMES[kind, f] == NAMES_NODE:
                v += SIGNATURE_WEIGHT[kind, f] * relation(k, value, a, b)
            elif FIELD_NAMES[kind, f] == NAMES_GROUP:   # the group's home node
                v += SIGNATURE_WEIGHT[kind, f] * relation(k, k[K_HOME + value], a, b)
        h = mix(h, v)
    return h


@njit(cache=True)
def own_split(k, s, i, j):
    """How many groups homed on j node i runs."""
    return popcount(s[node(k, i) + OWN] & local_groups(k, j))


@njit(cache=True)
def variants_set(s, n):
    """Some variant's byte of the node at n is not 0."""
    any_set = 0
    for f in VARIANT_VALUES:
        any_set |= s[n + f]
    for f in VARIANT_NODE_SETS:
        any_set |= s[n + f]
    return any_set != 0


@njit(cache=True)
def signatures(k, s, sig, scratch):
    """sig[i] := node i's signature, refined until the partition it induces is stable."""
    N = k[K_N]
    for i in range(N):
        n = node(k, i)
        h = np.uint64(1)
        h = mix(h, popcount(local_groups(k, i)))
        for f in PLAIN:
            h = mix(h, s[n + f])
        if variants_set(s, n):          # the variants' (none: the base's hashes)
            for f in VARIANT_VALUES:
                h = mix(h, s[n + f])
            for f in VARIANT_NODE_SETS:
                h = mix(h, popcount(s[n + f]))
        for f in NODE_SETS:
            h = mix(h, popcount(s[n + f]))
        h = mix(h, popcount(s[CONN + i]))
        h = mix(h, own_split(k, s, i, i))
        h = mix(h, popcount(s[n + OWN]))
        h = mix(h, popcount(s[RQ] & local_groups(k, i)))
        h = mix(h, queue_signature(k, s, selfq(k, i), i, i))
        sig[i] = h
    classes = distinct(sig, N)
    for _ in range(N):
        for i in range(N):
            n = node(k, i)
            total = np.uint64(0)
            for j in range(N):
                if j == i:
                    continue
                r = sig[j]
                for f in NODE_SETS:
                    r = mix(r, s[n + f] >> j & 1)
                variant_peers = 0
                for f in VARIANT_NODE_SETS:
                    variant_peers |= s[n + f]
                if variant_peers:
                    for f in VARIANT_NODE_SETS:
                        r = mix(r, s[n + f] >> j & 1)
                r = mix(r, s[CONN + i] >> j & 1)
                r = mix(r, own_split(k, s, i, j))
                r = mix(r, own_split(k, s, j, i))
                r = mix(r, queue_signature(k, s, ch(k, i, j), i, j))
                r = mix(r, queue_signature(k, s, ch(k, j, i), j, i))
                total += r
            scratch[i] = mix(sig[i], total)
        for i in range(N):
            sig[i] = scratch[i]
        refined = distinct(sig, N)
        if refined == classes:
            break
        classes = refined


@njit(cache=True)
def distinct(values, n):
    count = 0
    for i in range(n):
        first = True
        for j in range(i):
            if values[j] == values[i]:
                first = False
                break
        if first:
            count += 1
    return count


# --- the canonical form -------------------------------------------------------------------------

MAX_CELL = 8   # a node has at most MAX_GROUPS local groups


@njit(cache=True)
def canonicalize_exhaustive(k, s, group, best, candidate, order, pi):
    """s := its least image over every permutation of `group` (rows: pi)."""
    N = k[K_N]
    copy_row(s, best)
    for x in range(1, group.shape[0]):
        for i in range(N):
            pi[i] = group[x, i]
            order[group[x, i]] = i
        image(k, s, candidate, order, pi)
        if less(candidate, best):
            copy_row(candidate, best)
    copy_row(best, s)


@njit(cache=True)
def canonicalize(k, s, cells, best, candidate, ints, sig, scratch):
    """s := its canonical form (module docstring). `cells[i]` is the number of local
    groups of node i: a node only moves to a position of its own cell. `ints` holds at
    least 7N integers of scratch, `sig` and `scratch` N each."""
    N = k[K_N]
    order = ints[0:N]            # the nodes, sorted by (cell, signature)
    positions = ints[N:2 * N]    # the positions they take: each cell's node numbers
    size = ints[2 * N:3 * N]     # size of the tie class starting at x, if enumerated
    base = ints[3 * N:4 * N]
    choice = ints[4 * N:5 * N]   # position -> node, for `image`
    pi = ints[5 * N:6 * N]       # node -> position
    swap = ints[6 * N:7 * N]
    signatures(k, s, sig, scratch)
    filled = 0
    for c in range(MAX_CELL + 1):
        first = filled
        for i in range(N):
            if cells[i] == c:
                positions[filled] = i
                x = filled
                while x > first and sig[order[x - 1]] > sig[i]:
                    order[x] = order[x - 1]
                    x -= 1
                order[x] = i
                filled += 1
    # tie classes: runs of equal signature; those of interchangeable nodes are not enumerated
    total = 1
    x = 0
    while x < N:
        y = x + 1
        while y < N and cells[order[y]] == cells[order[x]] and sig[order[y]] == sig[order[x]]:
            y += 1
        size[x] = 0
        if y - x > 1 and not interchangeable(k, s, order[x:y], candidate, swap, pi):
            size[x] = y - x
            total *= factorial(y - x)
        for z in range(x + 1, y):
            size[z] = 0
        x = y
    copy_row(order, base)
    for index in range(total):
        copy_row(base, order)
        rest = index
        for x in range(N):
            m = size[x]
            if m > 1:
                f = factorial(m)
                nth_permutation(order, x, m, rest % f)
                rest //= f
        for q in range(N):
            pi[order[q]] = positions[q]
            choice[positions[q]] = order[q]
        image(k, s, candidate, choice, pi)
        if index == 0 or less(candidate, best):
            copy_row(candidate, best)
    copy_row(best, s)


@njit(cache=True)
def interchangeable(k, s, members, candidate, swap, pi):
    """Is s unchanged when its first member is swapped with each other one? Then every
    ordering of the class gives the same image."""
    N = k[K_N]
    a = members[0]
    for y in range(1, members.shape[0]):
        b = members[y]
        for i in range(N):
            swap[i] = i
        swap[a], swap[b] = b, a
        image(k, s, candidate, swap, swap)   # a transposition is its own inverse
        if not equal(candidate, s):
            return False
    return True


@njit(cache=True)
def factorial(m):
    f = 1
    for x in range(2, m + 1):
        f *= x
    return f


@njit(cache=True)
def nth_permutation(order, x, m, n):
    """Reorder order[x:x+m] into its n-th permutation (factorial number system)."""
    for y in range(m - 1):
        f = factorial(m - 1 - y)
        pick = x + y + n // f
        n %= f
        v = order[pick]
        while pick > x + y:
            order[pick] = order[pick - 1]
            pick -= 1
        order[x + y] = v
