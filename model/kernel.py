"""Next, in batches: every successor of every row of a batch, compiled and in parallel.

`successors` tries every action of the configuration's table (model.md section 4 order)
on every row, keeps those whose guard holds, optionally keeps only an ample subset
(`ample`, partial-order reduction for S1) and optionally replaces each successor by its
canonical form (`symmetry.py`). Rows are split into blocks, one per task; each block
writes into its own region of the output, and the regions are joined in row order, so
the result does not depend on the number of threads.

The ample set (docs/reduction.md argues why it is sound for S1) is one of two kinds.

1. A single *idle action*: one whose only effect is to remove the head of a queue, or
   to set bits nothing reads any more, whatever else happens first: SELF(j) of j's own
   `starting`, `ip-request` or `ip-request-resp` (process_resources ignores the first,
   the scripts the others) or of a `resource` message whose claim j's `ih` holds
   already (`claims_nothing_new`), DELIVER(i, j), once j has heard from i, of an
   `ip-request-resp` meant for another node or of an `ip-request` for a group j does
   not hold and can never take (`never_holds`), and HEAR(j, k) once j is L (its
   `heard` bit is read only by commup_check, which does nothing then; its `dead` bit
   by DEAD(j, k), which needs k inaudible). Only crashes (and, for DELIVER and HEAR,
   link toggles) can interfere, so it is used when none is left.
   Or, when a kept action may take groups (GROWING), a FORCETAKE(j, g) (`lone_take`):
   it reads and writes only `rq[g]` and `own[j][g]`, and no other protocol action
   depends on it (CHILD(j) skips g either way; only g's home asks for g, so no
   `ip-request` for g reaches j; an `ip-request-resp` for g sets the same bit). Only a
   crash of j can disturb it.
2. The actions of a set of nodes, used only when no environment action (BOOT, CRASH,
   RESTART, LINK) is enabled; then none ever will be again, and protocol actions of
   different nodes are independent. For a seed node x, T is the least set of nodes
   containing x and closed under: if y is in T and an up peer z linked to y has nothing
   on ch[z][y], then z is in T (z may still send to y, which would enable a DELIVER of
   y's). The enabled actions of the nodes of T form an ample set when none of them
   changes `own` (S1 reads only `own`), or, asked for GROWING (S1's violations stay
   violations as groups are taken), none of them takes a group away; and none is a CHILD
   of a node without local groups: every cycle of layer D contains such a CHILD, so a
   state whose ample set holds one is expanded fully and every cycle of the reduced
   graph passes a fully expanded state (the cycle proviso, in its static form). Of all
   seeds, the one with the fewest enabled actions is taken (ties: the lowest node); a
   set as large as the full one is no reduction and is not used.

Chains. A state whose ample set is a single action has one successor in the reduced
graph, so it is not returned: under a reduction each kept successor is followed through
such states (`chain_end`) and the first state that is not one is returned instead. No
chain closes on itself (every cycle of the reduced graph passes a fully expanded state),
and only upward-closed or invisible changes happen along it, so S1's verdict is kept
(docs/reduction.md, "Chains of single ample steps").
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from hacheck.checker.compiled import leaf
from hacheck.checker.model import FULL, GROWING
from hacheck.model.row import (
    COMM, COMM_LINKSUP, CRASHES_LEFT, HEARD, IH, M_IPREQ, MD, NONE, OWN, PH, R_RSCRCVD, RS,
    STARTING, TOGGLES_LEFT, UP, ipresp_fields, is_ipreq, is_ipresp, is_res, res_fields,
)
from hacheck.model.rules import (
    A_CHILD, A_DELIVER, A_FORCETAKE, A_HEAR, A_SELF, ENVIRONMENT, take,
)
from hacheck.model.state import (
    BOUND_CHAIN, K_HOME, K_N, K_WIDTH, STATUS, ch, copy_row, linked, local_groups, node,
    selfq,
)
from hacheck.model.symmetry import canonicalize, canonicalize_exhaustive

MAX_CHAIN = 4096   # single ample steps in a row; more would be a cycle the proviso excludes


@njit(cache=True)
def is_environment(kind):
    return kind in ENVIRONMENT


@leaf
def never_holds(k, s, j, g):
    """Does j not hold g, and can it never take it? (With no crash and no link toggle
    left, and g's home up: only MACHDOWN of the home would give it g, and the `md` bit
    that needs is set only by DEAD of a home that cannot be heard.)"""
    h = k[K_HOME + g]
    return (s[node(k, j) + OWN] >> g & 1 == 0 and s[node(k, j) + MD] >> h & 1 == 0
            and s[node(k, h) + PH] == UP)


@leaf
def claims_nothing_new(k, s, i, m):
    """Is m a `resource` message of i's own that i reads back without effect, whatever
    it does first? (i is L and past R_RSCRCVD, where reading its own claim only adds it
    to `ih`; m claims something, not `none`, which would wipe `ih`, and is no mach_down
    message; `ih` holds the claim already, and only grows until m is read.)"""
    if not is_res(m):
        return False
    claim, _, mach_down = res_fields(m)
    n = node(k, i)
    return (claim != NONE and mach_down == 0 and s[n + COMM] == COMM_LINKSUP
            and s[n + RS] >= R_RSCRCVD and s[n + IH] & claim == claim)


@leaf
def idle_pop(k, s, kind, a, b):
    """Is this enabled action an idle one (module docstring) that nothing but a crash or
    a link toggle could disturb, and is none of those left?"""
    if s[CRASHES_LEFT] != 0:
        return False
    if kind == A_SELF:
        m = s[selfq(k, a) + 1]
        return m == STARTING or is_ipreq(m) or is_ipresp(m) or claims_nothing_new(k, s, a, m)
    if kind == A_DELIVER and s[TOGGLES_LEFT] == 0:
        m = s[ch(k, a, b) + 1]
        if s[node(k, b) + HEARD] >> a & 1 == 0:
            return False
        if is_ipresp(m):
            dest, _ = ipresp_fields(m)
            return dest != b
        if is_ipreq(m):
            return never_holds(k, s, b, m - M_IPREQ)
    if kind == A_HEAR and s[TOGGLES_LEFT] == 0:
        return s[node(k, a) + COMM] == COMM_LINKSUP
    return False


@leaf
def lone_take(s, kind, reduce):
    """Is this enabled action a FORCETAKE that may be taken alone (module docstring)?
    It takes a group, so only where the ample sets may (GROWING)."""
    return reduce == GROWING and kind == A_FORCETAKE and s[CRASHES_LEFT] == 0


@leaf
def closure(k, s, x):
    """The least node set containing x and every up peer linked to one of its members
    that has nothing in flight to it (see the module docstring)."""
    N = k[K_N]
    T = 1 << x
    changed = True
    while changed:
        changed = False
        for y in range(N):
            if not T >> y & 1:
                continue
            for z in range(N):
                if (not T >> z & 1 and s[node(k, z) + PH] == UP and linked(s, z, y)
                        and s[ch(k, z, y)] == 0):
                    T |= 1 << z
                    changed = True
    return T


@leaf
def ample(k, s, out, first, count, action, kinds, arg_a, arg_b, actor, reduce):
    """Keep only an ample subset of the `count` successors at out[first:]; returns how
    many are kept (== count when no reduction applies). `reduce` is INVISIBLE or
    GROWING (checker.model): whether a kept action may add groups to `own`."""
    N = k[K_N]
    for x in range(first, first + count):
        a = action[x]
        if idle_pop(k, s, kinds[a], arg_a[a], arg_b[a]) or lone_take(s, kinds[a], reduce):
            if x != first:
                copy_row(out[x], out[first])
                action[first] = a
            return 1
    visible = 0      # nodes with an enabled action that S1 may see, or a sticky one
    enabled = 0      # nodes with an enabled action
    for x in range(first, first + count):
        a = action[x]
        if is_environment(kinds[a]):
            return count
        i = actor[a]
        enabled |= 1 << i
        if kinds[a] == A_CHILD and local_groups(k, i) == 0:
            visible |= 1 << i    # may close a cycle: never in a proper ample set
            continue
        t = out[x]
        for j in range(N):
            before, after = s[node(k, j) + OWN], t[node(k, j) + OWN]
            if before & ~after if reduce == GROWING else before != after:
                visible |= 1 << i
                break
    best_nodes = 0
    best_size = count
    for x in range(N):
        if not enabled >> x & 1:
            continue
        T = closure(k, s, x)
        if T & visible:
            continue
        size = 0
        for y in range(first, first + count):
            if T >> actor[action[y]] & 1:
                size += 1
        if size < best_size:
            best_size = size
            best_nodes = T
    if best_size == count:
        return count
    kept = first
    for y in range(first, first + count):
        if best_nodes >> actor[action[y]] & 1:
            if kept != y:
                copy_row(out[y], out[kept])
                action[kept] = action[y]
            kept += 1
    return best_size


@leaf
def enabled_steps(k, kinds, arg_a, arg_b, s, out, first, action):
    """The successor of s by every enabled action, into out[first:], the actions into
    action[first:]: (how many, a model bound hit)."""
    n = 0
    status = 0
    A = kinds.shape[0]
    # One view of the output row per enabled action, not per action tried: a view costs
    # an atomic reference count up and down, which two threads fight over, and a failed
    # guard leaves its row untouched, so the next action may try the same one.
    t = out[first]
    for a in range(A):
        if take(k, kinds[a], arg_a[a], arg_b[a], s, t):
            if t[STATUS] != 0:
                status = t[STATUS]
                t[STATUS] = 0
            action[first + n] = a
            n += 1
            if a + 1 < A:
                t = out[first + n]
    return n, status


@leaf
def chain_end(k, kinds, arg_a, arg_b, actor, t, reduce, steps, step_action):
    """Follow t, in place, through states whose ample set is a single action (module
    docstring, "Chains"), to the first state where it is not: (steps taken, a model bound
    hit). `steps` and `step_action` are room for one state's successors."""
    for taken in range(MAX_CHAIN + 1):
        n, status = enabled_steps(k, kinds, arg_a, arg_b, t, steps, 0, step_action)
        if status != 0:
            return taken, status
        if n < 2 or ample(k, t, steps, 0, n, step_action, kinds, arg_a, arg_b, actor,
                          reduce) != 1:
            return taken, 0
        copy_row(steps[0], t)
    return taken, BOUND_CHAIN


@leaf
def expand_row(k, kinds, arg_a, arg_b, actor, rows, r, first, symmetry, exhaustive, group,
               cells, reduce, chain, out, action, best, candidate, ints, sig, scratch, steps,
               step_action):
    """The successors of s = rows[r] into out[first:], their actions into action[first:]:
    (how many, reduced to an ample set?, a model bound hit, single ample steps chained).
    With `chain` (and a reduction), each successor is the end of its chain of single
    ample steps."""
    N = k[K_N]
    s = rows[r]          # a view taken here, in a leaf, costs no reference counting
    n, status = enabled_steps(k, kinds, arg_a, arg_b, s, out, first, action)
    reduced = False
    if reduce != FULL and n > 1:
        kept = ample(k, s, out, first, n, action, kinds, arg_a, arg_b, actor, reduce)
        reduced = kept < n
        n = kept
    chained = 0
    if reduce != FULL and chain and status == 0:
        for x in range(first, first + n):
            taken, hit = chain_end(k, kinds, arg_a, arg_b, actor, out[x], reduce, steps,
                                   step_action)
            chained += taken
            if hit != 0:
                status = hit
    if symmetry:
        for x in range(first, first + n):
            if exhaustive:
                canonicalize_exhaustive(k, out[x], group, best, candidate, ints[:N],
                                        ints[N:2 * N])
            else:
                canonicalize(k, out[x], cells, best, candidate, ints, sig, scratch)
    return n, reduced, status, chained


@njit(cache=True, parallel=True, nogil=True)
def successors(k, kinds, arg_a, arg_b, actor, rows, symmetry, exhaustive, group, cells,
               reduce, chain, blocks, out, action, counts, reduced, status, chained):
    """For each row r: its successors in out[r*A : r*A + counts[r]], their actions in
    `action`; reduced[r] if only an ample subset was kept; status[r] a model bound hit;
    chained[r] the single ample steps its successors' chains took."""
    A = kinds.shape[0]
    R = rows.shape[0]
    N = k[K_N]
    W = k[K_WIDTH]
    per_block = (R + blocks - 1) // blocks
    for b in prange(blocks):
        best = np.empty(W, dtype=np.uint8)
        candidate = np.empty(W, dtype=np.uint8)
        ints = np.empty(8 * N, dtype=np.int64)
        sig = np.empty(N, dtype=np.uint64)
        scratch = np.empty(N, dtype=np.uint64)
        steps = np.empty((A, W), dtype=np.uint8)
        step_action = np.empty(A, dtype=np.int64)
        for r in range(b * per_block, min(R, (b + 1) * per_block)):
            counts[r], reduced[r], status[r], chained[r] = expand_row(
                k, kinds, arg_a, arg_b, actor, rows, r, r * A, symmetry, exhaustive, group,
                cells, reduce, chain, out, action, best, candidate, ints, sig, scratch,
                steps, step_action)


@njit(cache=True, nogil=True)
def successors_serial(k, kinds, arg_a, arg_b, actor, rows, symmetry, exhaustive, group,
                      cells, reduce, chain, out, action, counts, reduced, status, chained):
    """`successors` on one thread, for batches too small to be worth waking the others."""
    A = kinds.shape[0]
    N = k[K_N]
    W = k[K_WIDTH]
    best = np.empty(W, dtype=np.uint8)
    candidate = np.empty(W, dtype=np.uint8)
    ints = np.empty(8 * N, dtype=np.int64)
    sig = np.empty(N, dtype=np.uint64)
    scratch = np.empty(N, dtype=np.uint64)
    steps = np.empty((A, W), dtype=np.uint8)
    step_action = np.empty(A, dtype=np.int64)
    for r in range(rows.shape[0]):
        counts[r], reduced[r], status[r], chained[r] = expand_row(
            k, kinds, arg_a, arg_b, actor, rows, r, r * A, symmetry, exhaustive, group,
            cells, reduce, chain, out, action, best, candidate, ints, sig, scratch, steps,
            step_action)


@njit(cache=True, nogil=True)
def positions(counts, A, index, source):
    """Where the successors are: row r's are at r*A .. r*A + counts[r] - 1."""
    n = 0
    for r in range(counts.shape[0]):
        for x in range(counts[r]):
            index[n] = r * A + x
            source[n] = r
            n += 1


@leaf
def canonical_row(k, row, exhaustive, group, cells, best, candidate, ints, sig, scratch):
    N = k[K_N]
    if exhaustive:
        canonicalize_exhaustive(k, row, group, best, candidate, ints[:N], ints[N:2 * N])
    else:
        canonicalize(k, row, cells, best, candidate, ints, sig, scratch)


@njit(cache=True, parallel=True)
def canonical_rows(k, rows, exhaustive, group, cells, blocks):
    """Every row replaced by its canonical form (in place)."""
    R = rows.shape[0]
    N = k[K_N]
    W = k[K_WIDTH]
    per_block = (R + blocks - 1) // blocks
    for b in prange(blocks):
        best = np.empty(W, dtype=np.uint8)
        candidate = np.empty(W, dtype=np.uint8)
        ints = np.empty(8 * N, dtype=np.int64)
        sig = np.empty(N, dtype=np.uint64)
        scratch = np.empty(N, dtype=np.uint64)
        for r in range(b * per_block, min(R, (b + 1) * per_block)):
            canonical_row(k, rows[r], exhaustive, group, cells, best, candidate, ints, sig,
                          scratch)
