"""The model's notation: how the values of a heartbeat state read, in the report and in
the viewer alike (one notation). Sets in braces, a set of groups as `{g0, g2}`,
sequences in brackets, a message as `RES(0 local stable)`, a map entry after its
variable's name (`ch[0->1]`, `conn[0-1]`), booleans as `true`/`false`.

It works on the typed values of `model.render.variables` (and of an ITF file read back by
the viewer, which gives the same types): nothing here loads the compiled model.
"""

from __future__ import annotations

from hacheck.checker.trace import Variant
from hacheck.model import schema

UNIT = "U_OF_UNIT"                      # the value of a case without one (Apalache's unit)
_ST = next(f for kind in schema.MESSAGE_KINDS for f in kind.fields if f.name == "st")
STABILITY = {x: Variant(case, UNIT) for x, case in enumerate(_ST.cases)
             if x != schema.ST_ABSENT}
ABSENT = Variant(_ST.cases[schema.ST_ABSENT], UNIT)   # mach_down's message has no flag
# variables whose sets hold groups (shown g0, g1), and those with a value per group
GROUP_SETS = tuple(v.name for v in schema.VARIABLES if v.domain.kind == schema.GROUPS)
PER_GROUP = tuple(v.name for v in schema.VARIABLES if v.scope == schema.GROUP)
# the maps keyed by ordered pairs of nodes (`ch[0->1]`; the others: `conn[0-1]`)
ORDERED = tuple(v.name for v in schema.VARIABLES if v.scope == schema.CHANNEL)


def _flag(fields: dict) -> str:
    st = fields.get("st")
    tag = st.tag if isinstance(st, Variant) else None
    return {"Stable": " stable", "Unstable": " unstable"}.get(tag, "")


def message_label(value) -> str:
    """A message variant as text: `STARTING(0)`, `RES(0 local stable)`, `IPREQ(1 g1)`,
    `IPRESP(0->1 g1)`."""
    fields = value.value if isinstance(value.value, dict) else {}
    s = fields.get("s")
    if value.tag == "STARTING":
        return f"STARTING({s})"
    if value.tag == "RES":
        return f"RES({s} {fields.get('n')}{_flag(fields)}{' mach_down' if fields.get('md') else ''})"
    if value.tag == "IPREQ":
        return f"IPREQ({s} g{fields.get('g')})"
    if value.tag == "IPRESP":
        return f"IPRESP({s}->{fields.get('d')} g{fields.get('g')})"
    return f"{value.tag}({notation(value.value)})"


def short_label(value) -> str:
    """A message without its sender (an arrow in a chart starts at the sender):
    `STARTING`, `RES local stable`, `IPREQ g1`, `IPRESP g1 to 0`."""
    fields = value.value if isinstance(value.value, dict) else {}
    if value.tag == "STARTING":
        return "STARTING"
    if value.tag == "RES":
        return f"RES {fields.get('n')}{_flag(fields)}{' mach_down' if fields.get('md') else ''}"
    if value.tag == "IPREQ":
        return f"IPREQ g{fields.get('g')}"
    if value.tag == "IPRESP":
        return f"IPRESP g{fields.get('g')} to {fields.get('d')}"
    return f"{value.tag} {notation({k: v for k, v in fields.items() if k != 's'})}"


def pair_key(name: str, key) -> str:
    """A map key as it is written after the variable's name: `ch[0->1]`, `conn[0-1]`."""
    if isinstance(key, tuple) and len(key) == 2:
        return f"{key[0]}->{key[1]}" if name in ORDERED else f"{key[0]}-{key[1]}"
    return notation(key)


def notation(value, groups: bool = False) -> str:
    """A value in the model's notation: sets in braces (groups as `g2` when `groups`),
    sequences in brackets, messages by `message_label`, `true`/`false`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, frozenset):
        try:
            members = sorted(value)
        except TypeError:           # members of several types
            members = sorted(value, key=notation)
        return "{" + ", ".join(f"g{m}" if groups and isinstance(m, int) else notation(m)
                               for m in members) + "}"
    if isinstance(value, Variant):
        return value.tag if value.value == UNIT else message_label(value)
    if isinstance(value, list):
        return "[" + ", ".join(notation(v, groups) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(notation(v, groups) for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{notation(k)}: {notation(v, groups)}"
                               for k, v in value.items()) + "}"
    return str(value)


def flat_text(values: dict) -> dict[str, str]:
    """Every variable as `name[index]` -> its text, for diffs a person reads: per-node and
    per-group lists and maps are split into their entries."""
    flat: dict[str, str] = {}
    for name, value in values.items():
        groups = name in GROUP_SETS
        if isinstance(value, dict):
            for k, v in value.items():
                flat[f"{name}[{pair_key(name, k)}]"] = notation(v, groups)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                flat[f"{name}[g{i}]" if name in PER_GROUP else f"{name}[{i}]"] = notation(v, groups)
        else:
            flat[name] = notation(value)
    return flat
