"""The model's vocabulary, declared once: every variable of the state (model.md section
2 and the variants'), every message kind, and how each is stored in a row.

Everything else is derived from these declarations: the row's layout and the offsets the
compiled rules use (`model.state`), the accessors (`model.row`, generated from here),
the readable state and its exact codec (`model.view`), the values a trace file and a
report show (`model.render`), and the symmetry images (`model.symmetry`: which fields
hold sets of nodes or of groups). The actions are declared here too (`ACTIONS`: their
arguments, actor, layer-T window and the modules of their rules), as are the functions
of the 1.51 rules a variant replaces (`HOOKS`); the spec options are `model.config`'s
`Config` fields (`OPTIONS`) and `model.timing`'s parameters.

Pure Python: nothing here is compiled, so readers of trace files load it cheaply.
"""

from __future__ import annotations

from typing import NamedTuple

# --- domains: what a variable's values are, and how they read ---------------------------

ENUM = "enum"        # 0..n-1, shown by name
COUNT = "count"      # a number, shown as it is
NODES = "nodes"      # a set of nodes, stored as a mask over node indices
GROUPS = "groups"    # a set of resource groups, stored as a mask over group indices
QUEUE = "queue"      # a FIFO of messages
LINK = "link"        # a boolean per unordered pair of nodes


class Domain(NamedTuple):
    kind: str
    names: tuple = ()      # ENUM: the name each value is shown by
    constants: tuple = ()  # ENUM: the name the rules give each value (heartbeat.c's)


PH_NAMES = ("pre", "up", "down")
COMM_NAMES = ("S", "L")
RS_NAMES = ("INIT", "STARTING", "BOTHSTARTING", "RSCRCVD", "STABLE")
CLAIM_NAMES = ("none", "local", "foreign", "all")
RQ_NAMES = ("idle", "pending")

PHASE = Domain(ENUM, PH_NAMES, ("PRE", "UP", "DOWN"))
COMM_STATE = Domain(ENUM, COMM_NAMES, ("COMM_STARTING", "COMM_LINKSUP"))
RSTATE = Domain(ENUM, RS_NAMES, ("R_INIT", "R_STARTING", "R_BOTHSTARTING", "R_RSCRCVD",
                                 "R_STABLE"))
CLAIM = Domain(ENUM, CLAIM_NAMES, ("NONE", "L", "F", "ALL"))   # L = LOCAL_RSC, F = FOREIGN_RSC
REQUEST = Domain(ENUM, RQ_NAMES)
NUMBER = Domain(COUNT)
NODE_SET = Domain(NODES)
GROUP_SET = Domain(GROUPS)
MESSAGES = Domain(QUEUE)
LINKED = Domain(LINK)

# --- scopes: one value of a variable for each ... ------------------------------------------

GLOBAL = "global"    # the cluster
NODE = "node"        # node
GROUP = "group"      # resource group (rq: its home node's req_resource)
CHANNEL = "channel"  # ordered pair of nodes i != j (ch[i][j])
PAIR = "pair"        # unordered pair of nodes i < j (conn)


class Variable(NamedTuple):
    """A variable of the state. `name` is model.md's, `heartbeat` what heartbeat.c (or the
    script) calls it; `owner`, the option that brings it ("" for model.md's own; the
    variable is then 0 in every state, and left out of traces, when the option is off).
    Storage: a node variable lives in a byte of its node's block (`byte`), or in bits of
    one (`bits`: mask, shift, and the name the rules give the bits); a global one at a
    fixed offset (`byte`)."""
    name: str
    heartbeat: str
    scope: str
    domain: Domain
    meaning: str
    byte: str = ""
    bits: tuple = ()
    owner: str = ""
    reset: str = ""        # a node's reset: "" boot value; "kept" it survives (not the
                           # node's to forget); "peers" the peers forget it of the node


# the bytes of a node's block, in row order: a name per byte (a byte of bits: "var")
NODE_BYTES = ("ph", "comm", "heard", "dead", "rs", "ih", "oh", "os", "tip", "rry", "chld",
              "md", "own", "var", "fw", "gs")
# the row's global bytes, in order (the status byte holds a model bound a step hit);
# CONN + i: the mask of the nodes whose link with i is up; then the nodes' blocks, then
# the queues (model.state)
GLOBAL_BYTES = ("status", "crashes_left", "restarts_left", "toggles_left", "rq",
                "losses_left")

V = Variable
# in model.md section 2's order, then the variants' (the order of a trace's variables)
VARIABLES = (
    V("ph", "(process)", NODE, PHASE, "pre (never booted), up, down (crashed)", "ph"),
    V("comm", "heartbeat_comm_state", NODE, COMM_STATE, "COMM_STARTING or COMM_LINKSUP",
      "comm"),
    V("heard", "anypacketsyet", NODE, NODE_SET, "the peers a packet has arrived from",
      "heard"),
    V("dead", "(nodestatus DEADSTATUS)", NODE, NODE_SET, "the peers declared dead", "dead"),
    V("rs", "rstate", NODE, RSTATE, "where process_resources stands", "rs"),
    V("ih", "i_hold_resources", NODE, CLAIM, "the groups this node claims", "ih"),
    V("oh", "other_holds_resources", NODE, CLAIM, "the groups the peers claim", "oh"),
    V("os", "other_is_stable", NODE, NUMBER, "the peer said it is stable", "os"),
    V("tip", "takeover_in_progress", NODE, NUMBER, "mach_down is taking over", "tip"),
    V("rry", "resources_requested_yet", NODE, NUMBER,
      "nice_failback off: the groups were requested", "rry"),
    V("rq", "(req_resource's sleep)", GROUP, REQUEST,
      "req_resource g sleeps before its forced take"),
    V("chld", "(req_our_resources children)", NODE, NUMBER,
      "req_our_resources children not yet run", "chld"),
    V("md", "(mach_down j pending)", NODE, NODE_SET, "the mach_down scripts pending", "md"),
    V("selfq", "(status pipe)", NODE, MESSAGES, "own messages not yet processed"),
    V("own", "(haresources groups running)", NODE, GROUP_SET,
      "the groups running here (the ground truth)", "own"),
    V("ch", "(the network)", CHANNEL, MESSAGES, "sent by i, not yet delivered to j"),
    V("conn", "(the link)", PAIR, LINKED, "the link between two nodes is up"),
    V("crashes_left", "", GLOBAL, NUMBER, "CRASH actions left", "crashes_left"),
    V("restarts_left", "", GLOBAL, NUMBER, "RESTART actions left", "restarts_left"),
    V("toggles_left", "", GLOBAL, NUMBER, "LINK actions left", "toggles_left"),
    V("losses_left", "", GLOBAL, NUMBER, "LOSE or DUPLICATE actions left", "losses_left",
      owner="transport=unsequenced"),
    V("wc", "(now - starttime) >= RQSTDELAY", NODE, NUMBER,
      "the start window (RQSTDELAY after start) is over", "var", (1, 0, "WINDOW_CLOSED"),
      owner="email_timer"),
    V("rt", "resources_timer", NODE, NUMBER, "resources_timer > 0", "var", (2, 1, "TIMER_ARMED"),
      owner="email_timer"),
    V("ss", "(send_starting_now repeats)", NODE, NUMBER,
      "how many times `starting` was repeated", "var", (0x30, 4, "REPEATS"), owner="email_timer"),
    V("stn", "(Initiate_Reset)", NODE, NUMBER,
      "a reset of this node was asked of the fencing device", "var", (8, 3, "SHOT_PENDING"),
      owner="stonith", reset="kept"),
    V("fw", "(StonithProcessDied pending)", NODE, NODE_SET,
      "waiting for the reset of these peers before taking over", "fw",
      owner="stonith=gated"),
    V("gs", "(generations heard)", NODE, NODE_SET,
      "heard a heartbeat of the peer's current generation", "gs", owner="heal",
      reset="peers"),
    V("hl", "healed_cluster_partition", NODE, NUMBER,
      "giving up everything and restarting after a healed partition", "var", (4, 2, "HEAL_PENDING"),
      owner="heal"),
)
BY_NAME = {v.name: v for v in VARIABLES}
# the node variables a readable node state holds, in declaration order (`own`, the
# cluster's ground truth, is kept beside them; the queue last)
NODE_STATE = tuple(v.name for v in VARIABLES
                   if v.scope == NODE and v.name not in ("own", "selfq")) + ("selfq",)


def node_byte(name: str) -> int:
    """The offset of a byte in a node's block."""
    return NODE_BYTES.index(name)


def global_byte(name: str) -> int:
    return GLOBAL_BYTES.index(name)


def node_sets() -> tuple[int, ...]:
    """The bytes of a node's block that hold sets of nodes (renamed with the nodes)."""
    return tuple(node_byte(v.byte) for v in VARIABLES
                 if v.scope == NODE and v.domain.kind == NODES)


def group_sets() -> tuple[int, ...]:
    """The bytes of a node's block that hold sets of groups."""
    return tuple(node_byte(v.byte) for v in VARIABLES
                 if v.scope == NODE and v.domain.kind == GROUPS)


# --- messages ----------------------------------------------------------------------------------

SENDER = "sender"    # a message field that names a node (renamed with the nodes)
GROUP_FIELD = "group"  # one that names a resource group


class Field(NamedTuple):
    name: str
    size: int              # how many values it takes (its radix in the message's byte)
    role: str = ""         # SENDER (a node), GROUP_FIELD (a group), or "" (a value)
    names: tuple = ()      # the names its values are shown by, where they have names
    cases: tuple = ()      # or the cases of a sum type its values are (shown as variants)


class MessageKind(NamedTuple):
    """A message of model.md section 2. The sender `s` is implicit in a row (only node i
    appends to its own queues), so the fields here are the rest, each a digit of the
    message's byte (first field most significant)."""
    tag: str               # model.md's constructor
    heartbeat: str         # the message's type in heartbeat (its `t=` field)
    fields: tuple
    meaning: str

    @property
    def size(self) -> int:
        n = 1
        for f in self.fields:
            n *= f.size
        return n


ST_ABSENT = 2        # the isstable flag of mach_down's message: absent
MESSAGE_KINDS = (
    MessageKind("STARTING", "starting", (), "a node announces its start"),
    MessageKind("RES", "resource", (Field("n", 4, names=CLAIM_NAMES),
                                    Field("st", 3, cases=("Unstable", "Stable", "Absent")),
                                    Field("md", 2)),
                "resources_held: the claim n, stable or not (st; absent from mach_down's), "
                "and md = info=mach_down"),
    MessageKind("IPREQ", "ip-request", (Field("g", 8, GROUP_FIELD),),
                "req_resource asks the holder of g to give it up"),
    MessageKind("IPRESP", "ip-request-resp", (Field("d", 8, SENDER), Field("g", 8, GROUP_FIELD)),
                "ip-request's answer: g is handed to d"),
)


def message_bases() -> dict[str, int]:
    """The first byte of each kind (0 is no message)."""
    out, base = {}, 1
    for kind in MESSAGE_KINDS:
        out[kind.tag] = base
        base += kind.size
    return out


def message_strides(kind: MessageKind) -> tuple[int, ...]:
    """How much each field's value adds to the byte."""
    strides, step = [], 1
    for f in reversed(kind.fields):
        strides.append(step)
        step *= f.size
    return tuple(reversed(strides))


BASES = message_bases()
MESSAGE_END = 1 + sum(kind.size for kind in MESSAGE_KINDS)   # bytes beyond are no message


# --- actions (model.md section 4, and the variants') --------------------------------------------

# how an action's arguments range over the configuration, and which node takes it
EACH_NODE = "node"          # (i,): every node; i acts
EACH_PAIR = "pair"          # (i, j): every ordered pair i != j; i acts
TO_RECEIVER = "receiver"    # (i, j): every ordered pair; j (the receiver) acts
EACH_LINK = "link"          # (i, j), i < j: the environment acts on the link
ON_WIRE = "wire"            # (i, j): every ordered pair; the network acts
EACH_GROUP = "group"        # (home[g], g): every group; its home node acts


class ActionKind(NamedTuple):
    """An action: its name (model.md's), how its arguments range and who takes it
    (`args`), whether the environment takes it (a fault or a boot, not a node's
    heartbeat process), its layer-T window (model.md section 7; None: any instant), and
    where its rule is: `rule`, the module of its 1.51 (or only) rule, and `variants`,
    the module that replaces it for an option's value (`"version=1.65"`; model.rules
    routes to it). `owner`: the option that brings the action into a configuration's
    table ("" for model.md's own). `spends`: the fault budget (spec key) it uses up;
    `pops`: the queue whose head it takes ("ch" or "selfq"; "chld": the oldest pending
    child), and `handles`, whether its node processes that message (a report shows it);
    `repeats`: the queue whose head it repeats; `restarts`: its node is a fresh
    incarnation afterwards (layer T starts its clocks again); `waits_for_hear`: layer T
    holds it back while an up, connected peer still owes the HEAR of its node's start-up
    heartbeat (model.md section 7, CRASH); `starts_quiet`: the environment's quiet period
    (`faults.quiet`, heartbeat-2000.md A5) starts again after it."""
    name: str
    args: str
    rule: str = "actions"
    environment: bool = False
    window: object = None
    owner: str = ""
    variants: tuple = ()
    spends: str = ""
    pops: str = ""
    handles: bool = False
    repeats: str = ""
    restarts: bool = False
    waits_for_hear: bool = False
    starts_quiet: bool = False

    @property
    def arity(self) -> int:
        return 1 if self.args == EACH_NODE else 2


def _actions():
    from hacheck.model import clocks as C
    from hacheck.model.clocks import Window
    A = ActionKind
    # a fault waits for the quiet period (when faults.quiet is set: the clock is optional)
    quiet = Window(C.QUIET, C.QUIET_LO, "at least `quiet` after the last fault or boot")
    return (
        A("BOOT", EACH_NODE, environment=True, starts_quiet=True),
        A("CRASH", EACH_NODE, environment=True, spends="faults.crashes", waits_for_hear=True,
          window=quiet, starts_quiet=True),
        A("RESTART", EACH_NODE, environment=True, spends="faults.restarts", window=quiet,
          starts_quiet=True),
        A("LINK", EACH_LINK, environment=True, spends="faults.link_toggles", window=quiet,
          starts_quiet=True),
        A("DELIVER", TO_RECEIVER, pops="ch", handles=True,
          window=Window(C.MSG, C.DMIN, "at least dmin after the send")),
        A("SELF", EACH_NODE, pops="selfq", handles=True),   # at its send's instant
        A("HEAR", EACH_PAIR, variants=(("heal", "heal"),),
          window=Window(C.PAIR, C.DMIN, "at least dmin after the heartbeat's period began",
                        flags=C.AUDIBLE)),
        A("DEAD", EACH_PAIR,
          window=Window(C.PAIR, C.D_MINUS_K,
                        "at least deadtime - keepalive after the peer fell silent",
                        lo_exact=C.D_EXACT,
                        why_exact="exactly deadtime after the node's own boot",
                        flags=(C.EXACT, C.NORMAL))),
        A("MACHDOWN", EACH_PAIR, window=Window(C.MD, C.ZERO)),
        A("CHILD", EACH_NODE, variants=(("version=1.65", "heartbeat_165"),), pops="chld",
          window=Window(C.CHILD, C.ZERO)),
        A("FORCETAKE", EACH_GROUP,
          window=Window(C.RQ, C.R_LO, "at least the req_resource timeout after the IPREQ")),
        A("RSCRCVD_TIMEOUT", EACH_NODE, variants=(("version=1.65", "heartbeat_165"),),
          window=Window(C.RS, C.Q_LO, "at least RQSTDELAY after entering RSCRCVD")),
        A("LOSE", ON_WIRE, "unsequenced", environment=True, owner="transport=unsequenced",
          spends="faults.losses", pops="ch"),
        A("DUPLICATE", ON_WIRE, "unsequenced", environment=True,
          owner="transport=unsequenced", spends="faults.losses", repeats="ch"),
        A("CLOSE_WINDOW", EACH_NODE, "email_timer", owner="email_timer",
          window=Window(C.WIN, C.Q_EXACT, "RQSTDELAY after the node's start")),
        A("RESEND_STARTING", EACH_NODE, "email_timer", owner="email_timer"),  # any instant
        A("RT_EXPIRE", EACH_NODE, "email_timer", owner="email_timer",
          variants=(("email_timer=split", "email_timer.RT_EXPIRE_SPLIT"),),
          window=Window(C.RT, C.Q_MINUS_K, "resources_timer's ticks after it was armed")),
        A("FENCE", EACH_NODE, "stonith", owner="stonith", spends="protocol.stonith",
          window=Window(C.STN, C.ZERO)),
        A("TAKEOVER", EACH_PAIR, "stonith", owner="stonith=gated", spends="protocol.stonith",
          window=Window(C.TK, C.ZERO)),
        A("HEALRUN", EACH_NODE, "heal", owner="heal", spends="protocol.heal", restarts=True,
          window=Window(C.HL, C.ZERO)),
    )


ACTIONS = _actions()
ACTION_NAMES = tuple(a.name for a in ACTIONS)
ACTION_BY_NAME = {a.name: a for a in ACTIONS}


# --- the rules a variant replaces: hooks the 1.51 rules call ----------------------------------

class Hook(NamedTuple):
    """A function of the 1.51 rules that a variant replaces: its name and arguments, the
    module of 1.51's (`rule`), and the module that replaces it for an option's value
    (`variants`, the first that applies; model.rules routes the call)."""
    name: str
    args: tuple
    rule: str
    variants: tuple
    meaning: str


HOOKS = (
    Hook("resources_timer_allows", ("k", "t", "i"), "heartbeat_c",
         (("email_timer", "email_timer"),),
         "may req_our_resources go on? (the May 2000 patch's timer; #if 0 in 1.51)"),
    Hook("other_has_or_i_asked", ("k", "t", "i"), "heartbeat_c",
         (("broken", "broken"),),
         "req_our_resources' guard: nothing to request"),
    Hook("req_our_resources", ("k", "t", "i", "stable"), "heartbeat_c",
         (("version=1.65", "heartbeat_165"),), "claim LOCAL, announce it, fork the child"),
    Hook("takeover_from_node", ("k", "t", "i", "j"), "heartbeat_c",
         (("version=1.65", "heartbeat_165"),), "the takeover part of mark_node_dead"),
    Hook("mark_node_dead", ("k", "t", "i", "j"), "heartbeat_c",
         (("stonith=gated", "stonith.mark_node_dead_gated"),
          ("stonith=race", "stonith.mark_node_dead_race")),
         "j is dead: take over (or ask for a reset first)"),
    Hook("process_resources", ("k", "t", "i", "sender", "m"), "heartbeat_c",
         (("version=1.65", "heartbeat_165"),), "the nice_failback state machine"),
)
HOOK_BY_NAME = {h.name: h for h in HOOKS}


def implementations(declared) -> tuple[str, ...]:
    """Where the rules of an action or a hook are, as `module.function`: 1.51's (or the
    only one) first, then each variant's, in declaration order."""
    def where(place: str) -> str:
        return place if "." in place else f"{place}.{declared.name}"
    return (where(declared.rule),) + tuple(where(place) for _, place in declared.variants)


def choice(declared, options: dict) -> int:
    """Which of `implementations(declared)` a configuration with these option values
    runs: the first variant whose option applies, else 1.51's (0)."""
    for x, (owner, _) in enumerate(declared.variants, 1):
        if owner_applies(owner, options):
            return x
    return 0


def routed() -> tuple:
    """The actions and hooks that a variant replaces, in the order of their slots in
    the geometry vector (`k[K_RULES + slot]`: the index of the implementation chosen)."""
    return tuple(a for a in ACTIONS if a.variants) + HOOKS


def choices(options: dict) -> list[int]:
    """The implementation chosen for each routed action and hook (`routed()` order)."""
    return [choice(declared, options) for declared in routed()]


def owner_applies(owner: str, options: dict) -> bool:
    """`name` (the option is on) or `name=value` (it has that value)."""
    if not owner:
        return True
    name, _, value = owner.partition("=")
    current = options[name]
    if value:
        return str(current) == value
    return current not in (False, "off", 0)


class Action(NamedTuple):
    """An action of a configuration: its kind's name, the node that takes it (None for
    the environment's LINK and the network's LOSE and DUPLICATE) and its arguments."""
    name: str
    node: int | None
    args: tuple

    def __str__(self) -> str:
        return f"{self.name}({', '.join(map(str, self.args))})"


def action_table(cfg) -> list[Action]:
    """Every action of the configuration, in a fixed order: the order of ACTIONS, then
    nodes (then peers, then groups) in index order; a variant's only when it is on."""
    nodes = range(cfg.N)
    pairs = [(i, j) for i in nodes for j in nodes if i != j]
    expand = {
        EACH_NODE: lambda: [(i, (i,)) for i in nodes],
        EACH_PAIR: lambda: [(i, (i, j)) for i, j in pairs],
        TO_RECEIVER: lambda: [(j, (i, j)) for i, j in pairs],
        EACH_LINK: lambda: [(None, (i, j)) for i, j in pairs if i < j],
        ON_WIRE: lambda: [(None, (i, j)) for i, j in pairs],
        EACH_GROUP: lambda: [(cfg.home[g], (cfg.home[g], g)) for g in range(cfg.G)],
    }
    options = cfg.options
    return [Action(a.name, node, args) for a in ACTIONS if owner_applies(a.owner, options)
            for node, args in expand[a.args]()]
