"""The model's vocabulary is declared once (model/schema.py): the generated row and rules
are what the declarations make, the row keeps its layout, and each representation of a
variable, a message and an action is the declared one."""

from __future__ import annotations

import importlib
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from hacheck.model import generate, render, row, rules, schema
from hacheck.model.config import Config
from hacheck.model.heartbeat import HeartbeatModel
from hacheck.model.state import K_NODES, K_RULES, geometry
from hacheck.model.view import NodeState, message_code, message_of, pack, unpack


@pytest.mark.parametrize("name", sorted(generate.GENERATED))
def test_each_generated_module_is_what_the_declarations_make(name):
    text = (generate.HERE / name).read_text(encoding="utf-8")
    assert text == generate.GENERATED[name](), (
        f"model/{name} is out of date: run python -m hacheck.model.generate")


def test_the_row_keeps_its_layout():
    # the byte of every node variable and of every message: the canonical forms, hence
    # which shortest counterexample is shown, depend on them
    assert [row.PH, row.COMM, row.HEARD, row.DEAD, row.RS, row.IH, row.OH, row.OS, row.TIP,
            row.RRY, row.CHLD, row.MD, row.OWN, row.VAR, row.FW, row.GS] == list(range(16))
    assert (row.WINDOW_CLOSED, row.TIMER_ARMED, row.HEAL_PENDING, row.SHOT_PENDING) == (1, 2, 4, 8)
    assert (row.REPEATS_MASK, row.REPEATS_SHIFT) == (0x30, 4)
    assert (row.STARTING, row.RES(0, 0, 0), row.IPREQ(0), row.IPRESP(0, 0)) == (1, 2, 26, 34)
    assert row.RES(3, 2, 1) == 2 + 3 * 6 + 2 * 2 + 1 and row.IPRESP(2, 5) == 34 + 2 * 8 + 5
    assert row.res_fields(row.RES(2, 1, 1)) == (2, 1, 1)
    assert row.ipresp_fields(row.IPRESP(3, 7)) == (3, 7)


def test_every_message_byte_reads_back_as_the_message_it_encodes():
    seen = set()
    for code in range(1, schema.MESSAGE_END):
        m = message_of(1, code)
        assert message_code(m) == code
        seen.add(m[0])
        kind = next(k for k in schema.MESSAGE_KINDS if k.heartbeat == m[0])
        assert getattr(row, f"is_{kind.tag.lower()}")(code)
    assert seen == {kind.heartbeat for kind in schema.MESSAGE_KINDS}


def test_a_readable_node_has_every_declared_node_variable_and_nothing_else():
    declared = {v.name for v in schema.VARIABLES if v.scope == schema.NODE} - {"own"}
    assert set(NodeState._fields) == declared


def test_every_variable_packs_to_its_declared_place_and_back():
    cfg = Config(N=3, home=(0, 1, 2), crashes=2, restarts=1, link_toggles=3,
                 email_timer="split", starting_repeats=3, stonith="gated", heal=True)
    model = HeartbeatModel(cfg)
    s = model.init_states()[0]
    values = {v.name: (3 if v.domain.kind == schema.COUNT else 1) for v in schema.VARIABLES
              if v.scope == schema.NODE and v.name not in ("own", "selfq")}
    values["ss"] = 3
    node = NodeState(**{name: min(value, 1) if name in ("wc", "rt", "stn", "hl") else value
                        for name, value in values.items()})
    s = s._replace(nodes=(node,) + s.nodes[1:], own=(5, 0, 0))
    row_bytes = pack(model.k, s)
    assert unpack(model.k, row_bytes) == s
    base = int(model.k[K_NODES])
    assert row_bytes[base + row.CHLD] == 3 and row_bytes[base + row.OWN] == 5
    assert row_bytes[base + row.VAR] == (row.WINDOW_CLOSED | row.TIMER_ARMED | row.HEAL_PENDING
                                         | row.SHOT_PENDING | 3 << row.REPEATS_SHIFT)


def test_a_variant_s_variables_are_in_its_traces_only():
    base = render.variables(Config(), HeartbeatModel(Config()).init_states()[0])
    assert not {"wc", "rt", "ss", "stn", "fw", "gs", "hl", "losses_left"} & set(base)
    gated = Config(stonith="gated")
    assert {"stn", "fw"} <= set(render.variables(gated, HeartbeatModel(gated).init_states()[0]))
    race = Config(stonith="race")
    assert "fw" not in render.variables(race, HeartbeatModel(race).init_states()[0])


@pytest.mark.parametrize("options, chosen", [
    ({}, {}),
    ({"version": "1.65"}, {"CHILD": "heartbeat_165.CHILD",
                           "RSCRCVD_TIMEOUT": "heartbeat_165.RSCRCVD_TIMEOUT",
                           "req_our_resources": "heartbeat_165.req_our_resources",
                           "takeover_from_node": "heartbeat_165.takeover_from_node",
                           "process_resources": "heartbeat_165.process_resources"}),
    ({"stonith": "race"}, {"mark_node_dead": "stonith.mark_node_dead_race"}),
    ({"stonith": "gated"}, {"mark_node_dead": "stonith.mark_node_dead_gated"}),
    ({"email_timer": "split"}, {"RT_EXPIRE": "email_timer.RT_EXPIRE_SPLIT",
                                "resources_timer_allows": "email_timer.resources_timer_allows"}),
    ({"heal": True}, {"HEAR": "heal.HEAR"}),
    ({"broken": True}, {"other_has_or_i_asked": "broken.other_has_or_i_asked"}),
])
def test_a_configuration_runs_the_rules_of_its_options_and_1_51_s_otherwise(options, chosen):
    cfg = replace(Config(), **options)
    k = geometry(cfg)
    for slot, declared in enumerate(schema.routed()):
        place = schema.implementations(declared)[int(k[K_RULES + slot])]
        assert place == chosen.get(declared.name, schema.implementations(declared)[0])


def test_every_rule_named_exists_and_every_action_is_dispatched():
    for declared in schema.ACTIONS + schema.HOOKS:
        for place in schema.implementations(declared):
            module, name = place.split(".")
            assert hasattr(importlib.import_module(f"hacheck.model.{module}"), name), place
    assert [getattr(rules, f"A_{a.name}") for a in schema.ACTIONS] == list(range(len(schema.ACTIONS)))


def test_the_action_table_follows_the_declarations():
    cfg = Config(N=2, home=(0,), transport="unsequenced", losses=1, stonith="gated")
    table = schema.action_table(cfg)
    names = [a.name for a in table]
    assert names.index("BOOT") == 0 and "LOSE" in names and "TAKEOVER" in names
    assert "HEALRUN" not in names and "CLOSE_WINDOW" not in names
    assert [a for a in table if a.name == "FORCETAKE"] == [schema.Action("FORCETAKE", 0, (0, 0))]
    assert [a.node for a in table if a.name == "DELIVER"] == [1, 0]        # the receiver
    assert [a.args for a in table if a.name == "LINK"] == [(0, 1)]
    assert np.all(np.diff([schema.ACTION_NAMES.index(a.name) for a in table]) >= 0)


# --- spec options: one declaration each (model.config's Config fields) ----------------------

def test_every_spec_key_but_the_names_and_timing_is_a_config_option():
    from hacheck.model.config import OPTIONS
    from hacheck.model.spec import KEYS
    declared = {o.metadata["key"] for o in OPTIONS}
    keys = {k.name for k in KEYS}
    assert keys - declared == {"name", "description"} | {k for k in keys
                                                        if k.startswith("timing.")}
    assert declared <= keys
    assert {o.name for o in OPTIONS} == set(Config().options)


@pytest.mark.parametrize("changes, key", [
    ({"N": 9}, "cluster.nodes"), ({"N": 2, "home": (0, 2)}, "cluster.home"),
    ({"losses": 1}, "faults.losses"), ({"transport": "unsequenced"}, "faults.losses"),
    ({"email_timer": "split", "nice_failback": False}, "protocol.email_timer"),
    ({"starting_repeats": 1}, "protocol.starting_repeats"),
    ({"crashes": -1}, "faults.crashes"), ({"version": "1.52"}, "protocol.version"),
])
def test_a_configuration_refuses_what_its_declarations_forbid_naming_the_spec_key(changes, key):
    from hacheck.model.config import OptionError
    with pytest.raises(OptionError) as refused:
        Config(**changes)
    assert refused.value.key == key


def test_the_reports_configuration_is_every_option_by_its_spec_name():
    from hacheck.model.config import OPTIONS
    cfg = Config(N=3, home=(0, 1, 2), crashes=2, stonith="race")
    described = cfg.described()
    assert list(described) == [o.metadata["key"].rpartition(".")[2] for o in OPTIONS]
    assert described["nodes"] == 3 and described["home"] == [0, 1, 2]
    assert described["crashes"] == 2 and described["stonith"] == "race"


def test_a_spec_with_changed_options_runs_the_changed_configuration(tmp_path):
    from hacheck.model.spec import load
    spec = load("heartbeat-1.51")
    changed = spec.with_options(crashes=0, restarts=0)
    assert (changed.config().crashes, changed.config().restarts) == (0, 0)
    assert changed.config(3).home == (0, 1, 2)       # one-per-node follows the node count
    with pytest.raises(TypeError, match="no such option: crashs"):
        spec.with_options(crashs=0)


@pytest.mark.parametrize("values", [
    {}, {"dmin": 1}, {"D": 2}, {"D": Fraction(5, 2)}, {"K": Fraction(19, 2)}, {"smax": -1},
])
def test_section_7_s_rules_are_one_declaration_for_specs_and_for_explain(values):
    import z3

    from hacheck.model.timing import TimingParameters
    from hacheck.witness.timestamps import parameter_symbols, section7_assumptions
    params = TimingParameters(**values)
    symbols = parameter_symbols()
    solver = z3.Solver()
    solver.add(*section7_assumptions(symbols))
    solver.add(*(symbols[a] == z3.RealVal(str(getattr(params, a))) for a in symbols
                 if getattr(params, a) is not None))
    assert (solver.check() == z3.sat) == (params.problems() == [])


def test_the_options_the_compiled_rules_read_are_declared_and_encoded_in_one_place():
    from hacheck.model import state
    from hacheck.model.config import COMPILED, compiled_values
    assert COMPILED == ("email_timer", "starting_repeats", "stonith", "heal")
    cfg = Config(email_timer="split", starting_repeats=2, stonith="race", heal=True)
    k = geometry(cfg)
    assert list(k[state.K_OPTIONS:state.K_OPTIONS + len(COMPILED)]) == compiled_values(cfg)
    assert (k[state.K_EMAIL_TIMER], k[state.K_REPEATS], k[state.K_STONITH],
            k[state.K_HEAL]) == (2, 2, 1, 1)
