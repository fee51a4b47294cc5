"""How a heartbeat state and action look to a person and in a trace file.

`variables(cfg, s)` gives every variable of model.md section 2 (`model.schema.VARIABLES`,
in that order, a variant's only when it is on), named as there, as typed values
(`checker.trace`'s vocabulary), each by its declared domain and scope: a set is a
frozenset (`heard`, `dead`, `md`, `own`), a value with names its name, a map keyed by
node pairs a dict with tuple keys (`ch`, `conn`), a message a `Variant` whose value is a
record (`RES(s, n, st, md)`, with `st` itself a variant without a value: `Stable`,
`Unstable` or `Absent`), per-node and per-group variables lists. The ITF writer derives
the file's types from them (ADR-015: `#set`, `#map` of `#tup` keys, `tag`/`value`), and
`model.notation` derives the text the report and the viewer show from them.
"""

from __future__ import annotations

from hacheck.checker.trace import Variant
from hacheck.model import schema
from hacheck.model.notation import UNIT, flat_text, message_label

_KINDS = {kind.heartbeat: kind for kind in schema.MESSAGE_KINDS}


def field_value(field: schema.Field, value: int):
    """A message field's value: its name, its case, or the number."""
    if field.names:
        return field.names[value]
    if field.cases:
        return Variant(field.cases[value], UNIT)
    return value


def message_value(m: tuple) -> Variant:
    """A message as a variant of records, one tag per kind (model.md section 2)."""
    kind = _KINDS.get(m[0])
    if kind is None:
        raise ValueError(f"unknown message {m!r}")
    return Variant(kind.tag, {"s": m[1], **{f.name: field_value(f, v)
                                            for f, v in zip(kind.fields, m[2:])}})


def message_text(m: tuple) -> str:
    """A readable message as text (`message_label` of its value)."""
    return message_label(message_value(m))


def _members(mask: int, count: int) -> frozenset:
    return frozenset(k for k in range(count) if mask >> k & 1)


def _value(domain: schema.Domain, raw, N: int, G: int):
    """A stored value as the typed value its domain says."""
    if domain.kind == schema.ENUM:
        return domain.names[raw]
    if domain.kind == schema.NODES:
        return _members(raw, N)
    if domain.kind == schema.GROUPS:
        return _members(raw, G)
    if domain.kind == schema.QUEUE:
        return [message_value(m) for m in raw]
    if domain.kind == schema.LINK:
        return bool(raw)
    return raw


def variables(cfg, s) -> dict:
    N, G = cfg.N, cfg.G
    options = cfg.options
    out = {}
    for v in schema.VARIABLES:
        if not schema.owner_applies(v.owner, options):
            continue
        if v.scope == schema.NODE:
            raw = ([s.own[i] for i in range(N)] if v.name == "own"
                   else [getattr(n, v.name) for n in s.nodes])
            out[v.name] = [_value(v.domain, x, N, G) for x in raw]
        elif v.scope == schema.GROUP:
            out[v.name] = [_value(v.domain, getattr(s, v.name) >> g & 1, N, G) for g in range(G)]
        elif v.scope == schema.CHANNEL:
            out[v.name] = {(i, j): _value(v.domain, s.ch[i * N + j], N, G)
                           for i in range(N) for j in range(N) if i != j}
        elif v.scope == schema.PAIR:
            out[v.name] = {(i, j): _value(v.domain, s.conn >> (i * N + j) & 1, N, G)
                           for i in range(N) for j in range(i + 1, N)}
        else:
            out[v.name] = _value(v.domain, getattr(s, v.name), N, G)
    return out


def changes(cfg, before, after) -> list[str]:
    """`name: old -> new` for every variable the step changed, in variable order."""
    old, new = flat_text(variables(cfg, before)), flat_text(variables(cfg, after))
    return [f"{k}: {old[k]} -> {new[k]}" for k in new if old[k] != new[k]]


def describe_action(cfg, before, action) -> str:
    """The action with its arguments, and the message it handles where there is one."""
    text = str(action)
    declared = schema.ACTION_BY_NAME[action.name]
    if not declared.handles:
        return text
    if declared.pops == "ch":
        i, j = action.args
        return f"{text} {message_text(before.ch[i * cfg.N + j][0])}"
    return f"{text} {message_text(before.nodes[action.args[0]].selfq[0])}"
