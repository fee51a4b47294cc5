"""How a heartbeat state and action look to a person and in a trace file.

`variables(cfg, s)` gives every variable of model.md section 2 as plain JSON-able values,
named as there; `changes` lists, for one step, the variables that changed.
"""

from __future__ import annotations

from hacheck.model.state import CLAIM_NAMES, COMM_NAMES, PH_NAMES, RS_NAMES, ST_ABSENT
from hacheck.model.view import T_IPREQ, T_IPRESP, T_RESOURCES, T_STARTING


def message_record(m: tuple) -> dict:
    kind = m[0]
    if kind == T_STARTING:
        return {"t": "STARTING", "s": m[1]}
    if kind == T_RESOURCES:
        _, s, n, st, md = m
        return {"t": "RES", "s": s, "n": CLAIM_NAMES[n],
                "st": "absent" if st == ST_ABSENT else st, "md": md}
    if kind == T_IPREQ:
        return {"t": "IPREQ", "s": m[1], "g": m[2]}
    if kind == T_IPRESP:
        return {"t": "IPRESP", "s": m[1], "d": m[2], "g": m[3]}
    raise ValueError(f"unknown message {m!r}")


def message_text(m: tuple) -> str:
    kind = m[0]
    if kind == T_STARTING:
        return f"STARTING({m[1]})"
    if kind == T_RESOURCES:
        _, s, n, st, md = m
        flags = "" if st == ST_ABSENT else (" stable" if st else " unstable")
        return f"RES({s} {CLAIM_NAMES[n]}{flags}{' mach_down' if md else ''})"
    if kind == T_IPREQ:
        return f"IPREQ({m[1]} g{m[2]})"
    return f"IPRESP({m[1]}->{m[2]} g{m[3]})"


def _members(mask: int, count: int) -> list[int]:
    return [k for k in range(count) if mask >> k & 1]


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
        "selfq": [[message_record(m) for m in n.selfq] for n in nodes],
        "own": [_members(mask, G) for mask in s.own],
        "ch": {f"{i}->{j}": [message_record(m) for m in s.ch[i * N + j]]
               for i in range(N) for j in range(N) if i != j},
        "conn": {f"{i}-{j}": bool(s.conn >> (i * N + j) & 1)
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


def _flat_text(cfg, s) -> dict[str, str]:
    """Every variable as `name[index]` -> short text, for diffs a person reads."""
    N = cfg.N
    flat: dict[str, str] = {}
    for name, value in variables(cfg, s).items():
        if name == "selfq":
            for i, n in enumerate(s.nodes):
                flat[f"selfq[{i}]"] = "[" + ", ".join(map(message_text, n.selfq)) + "]"
        elif name == "ch":
            for i in range(N):
                for j in range(N):
                    if i != j:
                        flat[f"ch[{i}->{j}]"] = "[" + ", ".join(map(message_text, s.ch[i * N + j])) + "]"
        elif name == "rq":
            for g, v in enumerate(value):
                flat[f"rq[g{g}]"] = v
        elif isinstance(value, dict):
            for k, v in value.items():
                flat[f"{name}[{k}]"] = str(v)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                if name == "own":
                    v = "{" + ", ".join(f"g{g}" for g in v) + "}"
                flat[f"{name}[{i}]"] = str(v)
        else:
            flat[name] = str(value)
    return flat


def changes(cfg, before, after) -> list[str]:
    """`name: old -> new` for every variable the step changed, in variable order."""
    old, new = _flat_text(cfg, before), _flat_text(cfg, after)
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
