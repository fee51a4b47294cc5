"""How a heartbeat state and action look to a person and in a trace file.

`variables(cfg, s)` gives every variable of model.md section 2, named as there, as typed
values (`checker.trace`'s vocabulary): a set is a frozenset (`heard`, `dead`, `md`, `own`),
a map keyed by node pairs a dict with tuple keys (`ch`, `conn`), a message a `Variant`
whose value is a record (`RES(s, n, st, md)`, with `st` itself a variant without a
value: `Stable`, `Unstable` or `Absent`), per-node variables lists indexed by node. The ITF writer derives the
file's types from them (ADR-015: `#set`, `#map` of `#tup` keys, `tag`/`value`), and
`model.notation` derives the text the report and the viewer show from them.
"""

from __future__ import annotations

from hacheck.checker.trace import Variant
from hacheck.model.notation import ABSENT, STABILITY, flat_text, message_label
from hacheck.model.state import CLAIM_NAMES, COMM_NAMES, PH_NAMES, RS_NAMES, ST_ABSENT
from hacheck.model.view import T_IPREQ, T_IPRESP, T_RESOURCES, T_STARTING


def stability(st: int) -> Variant:
    """The isstable flag: Stable (1), Unstable (0) or Absent (mach_down's message)."""
    return ABSENT if st == ST_ABSENT else STABILITY[st]


def message_value(m: tuple) -> Variant:
    """A message as a variant of records, one tag per kind (model.md section 2)."""
    kind = m[0]
    if kind == T_STARTING:
        return Variant("STARTING", {"s": m[1]})
    if kind == T_RESOURCES:
        _, s, n, st, md = m
        return Variant("RES", {"s": s, "n": CLAIM_NAMES[n], "st": stability(st), "md": md})
    if kind == T_IPREQ:
        return Variant("IPREQ", {"s": m[1], "g": m[2]})
    if kind == T_IPRESP:
        return Variant("IPRESP", {"s": m[1], "d": m[2], "g": m[3]})
    raise ValueError(f"unknown message {m!r}")


def message_text(m: tuple) -> str:
    """A readable message as text (`message_label` of its value)."""
    return message_label(message_value(m))


def _members(mask: int, count: int) -> frozenset:
    return frozenset(k for k in range(count) if mask >> k & 1)


def variables(cfg, s) -> dict:
    N, G = cfg.N, cfg.G
    nodes = s.nodes
    return {
        "ph": [PH_NAMES[n.ph] for n in nodes],
        "comm": [COMM_NAMES[n.comm] for n in nodes],
        "heard": [_members(n.heard, N) for n in nodes],
        "dead": [_members(n.dead, N) for n in nodes],
        "rs": [RS_NAMES[n.rs] for n in nodes],
        "ih": [CLAIM_NAMES[n.ih] for n in nodes],
        "oh": [CLAIM_NAMES[n.oh] for n in nodes],
        "os": [n.os for n in nodes],
        "tip": [n.tip for n in nodes],
        "rry": [n.rry for n in nodes],
        "rq": ["pending" if s.rq >> g & 1 else "idle" for g in range(G)],
        "chld": [n.chld for n in nodes],
        "md": [_members(n.md, N) for n in nodes],
        "selfq": [[message_value(m) for m in n.selfq] for n in nodes],
        "own": [_members(mask, G) for mask in s.own],
        "ch": {(i, j): [message_value(m) for m in s.ch[i * N + j]]
               for i in range(N) for j in range(N) if i != j},
        "conn": {(i, j): bool(s.conn >> (i * N + j) & 1)
                 for i in range(N) for j in range(i + 1, N)},
        "crashes_left": s.crashes_left,
        "restarts_left": s.restarts_left,
        "toggles_left": s.toggles_left,
        **({"losses_left": s.losses_left} if cfg.transport == "unsequenced" else {}),
        **_variant_variables(cfg, s),
    }


def _variant_variables(cfg, s) -> dict:
    """The variants' variables (model/README.md, "Variants"), only when they are on."""
    nodes, N = s.nodes, cfg.N
    out = {}
    if cfg.email_timer != "off":
        out["wc"] = [n.wc for n in nodes]
        out["rt"] = [n.rt for n in nodes]
        out["ss"] = [n.ss for n in nodes]
    if cfg.stonith != "off":
        out["stn"] = [n.stn for n in nodes]
    if cfg.stonith == "gated":
        out["fw"] = [_members(n.fw, N) for n in nodes]
    if cfg.heal:
        out["gs"] = [_members(n.gs, N) for n in nodes]
        out["hl"] = [n.hl for n in nodes]
    return out


def changes(cfg, before, after) -> list[str]:
    """`name: old -> new` for every variable the step changed, in variable order."""
    old, new = flat_text(variables(cfg, before)), flat_text(variables(cfg, after))
    return [f"{k}: {old[k]} -> {new[k]}" for k in new if old[k] != new[k]]


def describe_action(cfg, before, action) -> str:
    """The action with its arguments, and the message it handles where there is one."""
    text = str(action)
    if action.name == "DELIVER":
        i, j = action.args
        return f"{text} {message_text(before.ch[i * cfg.N + j][0])}"
    if action.name == "SELF":
        return f"{text} {message_text(before.nodes[action.args[0]].selfq[0])}"
    return text
