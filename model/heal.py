"""1.89's healed-partition restart (`[protocol] heal = true`, September 2000): a node that
hears a peer it declared dead, of the generation it declared dead, gives up every group,
announces `none` and restarts (healed_cluster_partition). The node variables `gs`
(generations heard) and `hl` (the restart under way) are this variant's
(model.schema).
"""

from __future__ import annotations

from hacheck.checker.compiled import leaf
from hacheck.model.actions import end_process, heard_from, heartbeat_arrives
from hacheck.model.heartbeat_c import send
from hacheck.model.row import HEAL_PENDING, NONE, RES, UP, dead, gs, heard, own, ph, var
from hacheck.model.state import K_NICE, copy_row


@leaf
def HEAR(k, s, t, i, j):
    """HEAR with generations (1.89's should_drop_message): every heartbeat of a
    generation i has not heard yet counts, and one of the generation i declared dead
    heals a partition: i will give up everything and restart (HEALRUN)."""
    bit = 1 << j
    new_generation = not s[gs(k, i)] & bit
    if not heartbeat_arrives(k, s, i, j) or (
            s[heard(k, i)] & bit and not s[dead(k, i)] & bit and not new_generation):
        return False
    copy_row(s, t)
    if s[dead(k, i)] & bit and not new_generation:
        t[var(k, i)] |= HEAL_PENDING   # "Cluster node j returning after partition"
    t[gs(k, i)] |= bit
    heard_from(k, t, i, j)
    return True


@leaf
def HEALRUN(k, s, t, i):
    """healed_cluster_partition: giveup_resources (every group, then `resource none,
    stable`), then restart_heartbeat: a fresh start with a new generation; messages on
    their way to the old incarnation are lost."""
    if s[ph(k, i)] != UP or not s[var(k, i)] & HEAL_PENDING:
        return False
    copy_row(s, t)
    t[own(k, i)] = 0
    if k[K_NICE]:
        send(k, t, i, RES(NONE, 1, 0))
    end_process(k, t, i, UP)
    return True
