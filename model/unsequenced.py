"""The unsequenced transport (`transport = "unsequenced"`, heartbeat-2000.md P7/P8):
1.40's `NS_` messages had no sequence numbers, so the network may lose a `starting` or
`resource` message, or deliver it twice, and nobody asks for it again. Two environment
actions, each spending the spec's `losses` budget.
"""

from __future__ import annotations

from hacheck.checker.compiled import leaf
from hacheck.model.row import LOSSES_LEFT, is_res, is_starting
from hacheck.model.state import BOUND_QUEUE, K_CAPACITY, STATUS, ch, copy_row, pop


@leaf
def unsequenced_head(k, s, i, j):
    """The head of ch[i][j] is a `starting` or `resource` message and the loss budget is
    not spent: the network may lose or repeat it."""
    q = ch(k, i, j)
    return (s[LOSSES_LEFT] > 0 and s[q] > 0
            and (is_starting(s[q + 1]) or is_res(s[q + 1])))


@leaf
def LOSE(k, s, t, i, j):
    """The head of ch[i][j] is lost; without sequence numbers nobody asks for it again."""
    if not unsequenced_head(k, s, i, j):
        return False
    copy_row(s, t)
    pop(k, t, ch(k, i, j))
    t[LOSSES_LEFT] -= 1
    return True


@leaf
def DUPLICATE(k, s, t, i, j):
    """The head of ch[i][j] arrives twice; the copy follows it at once."""
    if not unsequenced_head(k, s, i, j):
        return False
    copy_row(s, t)
    q = ch(k, i, j)
    n = t[q]
    if n == k[K_CAPACITY]:
        t[STATUS] = BOUND_QUEUE
        return True
    for x in range(q + n, q + 1, -1):
        t[x + 1] = t[x]
    t[q + 2] = t[q + 1]
    t[q] = n + 1
    t[LOSSES_LEFT] -= 1
    return True
