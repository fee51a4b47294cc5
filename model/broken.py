"""A deliberately broken rule set (`[protocol] demo_broken = true`), to show the pre-merge
gate failing on a change of the protocol: req_our_resources forgets that the other side
holds foreign groups (ours, taken over), so a node asks for its groups while the peer
still runs them. The gate's test selects it (tests/test_gate.py); nothing else does.
"""

from __future__ import annotations

from hacheck.checker.compiled import leaf
from hacheck.model.row import L, ih


@leaf
def other_has_or_i_asked(k, t, i):
    """The broken guard: only "we have asked for ours already"."""
    return (t[ih(k, i)] & L) != 0
