"""Write `model/row.py` and `model/rules.py` from the declarations of `model/schema.py`:
the row's offsets, accessors and message codec, and the dispatch of every action and
hook to the rule a configuration chose.

    python -m hacheck.model.generate          # rewrites both files

numba compiles functions from source files (and caches them by file), so the offsets,
accessors, message codec and dispatch the compiled rules call are written out as code
rather than built at run time; `tests/test_schema.py` fails when a generated file is not
what this module makes of the declarations.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hacheck.model import schema as S

HERE = Path(__file__).parent
HEADER = '''"""{what}

Generated from {source} by `python -m hacheck.model.generate`:
do not edit by hand (tests/test_schema.py checks that it is up to date).
"""
'''
INLINE = '@njit(cache=True, inline="always")'


def row_source() -> str:
    """The text of model/row.py."""
    out = [HEADER.format(what="The row's offsets and accessors, and the message codec: "
                              "what the compiled rules call.", source="model/schema.py"),
           "from numba import njit", "", "from hacheck.model.state import node", "", ""]
    out.append("# --- values of the enumerated variables " + "-" * 48)
    domains = {}
    for v in S.VARIABLES:
        if v.domain.constants:
            domains.setdefault(v.domain, []).append(v.name)
    for domain, users in domains.items():
        names = ", ".join(domain.constants)
        values = ", ".join(str(x) for x in range(len(domain.constants)))
        out.append(f"{names} = {values}    # {', '.join(users)}")
    out.append(f"ST_ABSENT = {S.ST_ABSENT}    # a RES message's isstable flag: absent")
    out += ["", "# --- the global bytes, then CONN + i: the mask of the nodes linked with i "
                + "-" * 14]
    for x, name in enumerate(S.GLOBAL_BYTES):
        out.append(f"{name.upper()} = {x}")
    out.append(f"CONN = {len(S.GLOBAL_BYTES)}")
    out += ["", "# --- the bytes of a node's block " + "-" * 55]
    for x, name in enumerate(S.NODE_BYTES):
        held = ", ".join(v.name for v in S.VARIABLES if v.byte == name)
        out.append(f"{name.upper()} = {x}    # {held}")
    out.append(f"NODE_FIELDS = {len(S.NODE_BYTES)}")
    out += ["", "# --- the variables kept in bits of a node's VAR byte (mask, shift) " + "-" * 21]
    for v in S.VARIABLES:
        if v.bits:
            mask, shift, name = v.bits
            if mask >> shift == 1:
                out.append(f"{name} = {mask}    # {v.name}: {v.meaning}")
            else:
                out.append(f"{name}_MASK, {name}_SHIFT = {mask}, {shift}    "
                           f"# {v.name}: {v.meaning}")
    out += ["", "# --- what symmetry renames, and what a node's reset spares " + "-" * 29]
    base = [v for v in S.VARIABLES if v.scope == S.NODE and not v.owner]
    variant = [v for v in S.VARIABLES if v.scope == S.NODE and v.owner]

    def tuple_of(names):
        names = list(dict.fromkeys(names))
        return "(" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"

    out.append("NODE_SETS = " + tuple_of(v.byte.upper() for v in base if v.domain.kind == S.NODES)
               + "    # sets of peers: renamed with the nodes")
    out.append("VARIANT_NODE_SETS = "
               + tuple_of(v.byte.upper() for v in variant if v.domain.kind == S.NODES))
    out.append("GROUP_SETS = " + tuple_of(v.byte.upper() for v in base + variant
                                           if v.domain.kind == S.GROUPS))
    out.append("PLAIN = " + tuple_of(v.byte.upper() for v in base if v.domain.kind in
                                     (S.ENUM, S.COUNT) and v.byte)
               + "    # values that name no node and no group")
    out.append("VARIANT_VALUES = " + tuple_of(v.byte.upper() for v in variant
                                              if v.byte and v.domain.kind != S.NODES)
               + "    # the variants' bytes that name no node")
    kept = sum(v.bits[0] for v in S.VARIABLES if v.bits and v.reset == "kept")
    out.append(f"KEPT_ON_RESET = {kept}    # VAR bits a node's reset keeps")
    out.append("FORGOTTEN_BY_PEERS = "
               + tuple_of(v.byte.upper() for v in S.VARIABLES if v.reset == "peers")
               + "    # peers' sets a node leaves when it is reset")
    out += ["", "", "# --- accessors: where node i's variable is in a row "
                    "(`t[ih(k, i)] |= L`) " + "-" * 14]
    for name in S.NODE_BYTES:
        held = [v for v in S.VARIABLES if v.byte == name]
        doc = "; ".join(f"{v.name}: {v.meaning}" for v in held)
        out += ["", "", INLINE, f"def {name}(k, i):", f'    """{doc}"""'
                if len(doc) < 80 else f'    """{doc[:76]}..."""',
                f"    return node(k, i) + {name.upper()}"]
    out += ["", "", "# --- messages: one byte, the sender implicit in the queue " + "-" * 30]
    for kind in S.MESSAGE_KINDS:
        out.append(f"M_{kind.tag} = {S.BASES[kind.tag]}    # the first `{kind.heartbeat}` byte")
    out.append(f"MESSAGE_END = {S.MESSAGE_END}")
    for kind in S.MESSAGE_KINDS:
        strides = S.message_strides(kind)
        if kind.fields:
            args = ", ".join(f.name for f in kind.fields)
            terms = " + ".join(f"{f.name} * {s}" if s != 1 else f.name
                               for f, s in zip(kind.fields, strides))
            out += ["", "", "@njit(cache=True)", f"def {kind.tag}({args}):",
                    f'    """The `{kind.heartbeat}` message ({args}), as its byte."""',
                    f"    return M_{kind.tag} + {terms}"]
            if len(kind.fields) > 1:
                fields = ", ".join(
                    f"x // {s}" if x == 0 else f"x % {f.size}" if s == 1
                    else f"x // {s} % {f.size}"
                    for x, (f, s) in enumerate(zip(kind.fields, strides)))
                out += ["", "", "@njit(cache=True)", f"def {kind.tag.lower()}_fields(m):",
                        f'    """({args}) of a `{kind.heartbeat}` message."""',
                        f"    x = m - M_{kind.tag}", f"    return {fields}"]
        else:
            out += ["", "", f"{kind.tag} = M_{kind.tag}    # the `{kind.heartbeat}` message"]
    bounds = [(kind.tag, S.BASES[kind.tag], S.BASES[kind.tag] + kind.size)
              for kind in S.MESSAGE_KINDS]
    for tag, lo, hi in bounds:
        test = f"m == M_{tag}" if hi == lo + 1 else f"M_{tag} <= m < M_{tag} + {hi - lo}"
        out += ["", "", "@njit(cache=True)", f"def is_{tag.lower()}(m):", f"    return {test}"]
    return "\n".join(out) + "\n"


ARG_NAMES = {S.EACH_GROUP: ("i", "g")}


def rules_source() -> str:
    """The text of model/rules.py: the action kinds, `take` (an action by its kind), and
    a router for each action and hook a variant replaces."""
    routed = S.routed()
    modules = sorted({place.split(".")[0] for d in S.ACTIONS + S.HOOKS
                      for place in S.implementations(d)})
    out = [HEADER.format(what="The rules a configuration runs: each action by its kind "
                              "(`take`), and the rule a variant\nreplaces, by what the "
                              "configuration chose when its table was built\n"
                              "(`k[K_RULES + slot]`, model.schema.choices).",
                         source="model/schema.py (ACTIONS, HOOKS)"),
           "from hacheck.checker.compiled import leaf",
           "from hacheck.model import (",
           "    " + ", ".join(modules) + ",", ")",
           "from hacheck.model.state import K_RULES", "", ""]
    out.append("# --- the action kinds, in model.schema.ACTIONS' order " + "-" * 34)
    for x, a in enumerate(S.ACTIONS):
        out.append(f"A_{a.name} = {x}")
    out.append("ENVIRONMENT = (" + ", ".join(f"A_{a.name}" for a in S.ACTIONS if a.environment)
               + ")")
    out += ["", "# --- the slots of the rules a variant replaces " + "-" * 41]
    for x, d in enumerate(routed):
        out.append(f"SLOT_{d.name.upper()} = {x}")
    out += ["", "", "@leaf", "def take(k, kind, a, b, s, t):",
            '    """Try the action `kind` with arguments (a, b) on s; True and t = its '
            'next state if\n    its guard holds."""']
    for x, a in enumerate(S.ACTIONS):
        call_args = "k, s, t, a" + (", b" if a.arity == 2 else "")
        target = a.name if a.variants else S.implementations(a)[0]
        line = f"return {target}({call_args})"
        if x < len(S.ACTIONS) - 1:
            out += [f"    if kind == A_{a.name}:", f"        {line}"]
        else:
            out.append(f"    {line}")
    for d in routed:
        if isinstance(d, S.ActionKind):
            args = ("k", "s", "t") + (ARG_NAMES.get(d.args, ("i", "j"))[:d.arity])
            doc = f"The rule of {d.name} this configuration runs."
        else:
            args = d.args
            doc = f"{d.meaning[0].upper()}{d.meaning[1:]}: the rule this configuration runs."
        places = S.implementations(d)
        out += ["", "", "@leaf", f"def {d.name}({', '.join(args)}):", f'    """{doc}"""']
        if len(places) > 2:
            out.append(f"    chosen = k[K_RULES + SLOT_{d.name.upper()}]")
            for x, place in enumerate(places[1:], 1):
                out += [f"    if chosen == {x}:",
                        f"        return {place}({', '.join(args)})"]
        else:
            out += [f"    if k[K_RULES + SLOT_{d.name.upper()}] == 1:",
                    f"        return {places[1]}({', '.join(args)})"]
        out.append(f"    return {places[0]}({', '.join(args)})")
    return "\n".join(out) + "\n"


def write(path: Path, text: str) -> bool:
    """Write `text` to `path` unless it is there already; whether it changed."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


GENERATED = {"row.py": row_source, "rules.py": rules_source}


def main() -> int:
    for name, source in GENERATED.items():
        changed = write(HERE / name, source())
        print(f"model/{name} " + ("rewritten" if changed else "already up to date"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
