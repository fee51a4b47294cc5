"""heartbeat-2000.md section 6.3's assumptions A1-A5, checked on a configuration and its
timing: under all of them, S1 and L1 are expected to hold for 1.65 at two nodes.

Each is read as the conditions a spec can state (model/README.md, "The design's
assumptions"):

- A1 (accurate failure detection): no partitions (`faults.link_toggles = 0`), boot skew
  below deadtime (`cluster.boot_skew` set and < deadtime), and the delay bound
  (keepalive + dmax < deadtime, which section 7 asks of every spec, so it always holds
  here), or else STONITH before takeover (`protocol.stonith = true`);
- A2 (timely polite hand-off): the delay of an ip-request plus the hand-off script,
  dmax + smax, below req_resource's timeout;
- A3 (reliable protocol messages): the sequenced transport;
- A4: two nodes;
- A5: bounded crashes and restarts (every spec's budgets are) with quiet periods longer
  than deadtime + RQSTDELAY + TIMEOUT (`faults.quiet` set and above that sum).
"""

from __future__ import annotations

from typing import NamedTuple


class Assumption(NamedTuple):
    name: str          # "A1" ... "A5"
    holds: bool
    why: str           # what makes it hold or not, with the values


def _seconds(x) -> str:
    return f"{float(x):g} s"


def assumptions(cfg, timing) -> list[Assumption]:
    """Which of A1-A5 the configuration and its timing satisfy, and why."""
    t = timing.with_environment(cfg)
    a1 = []
    if cfg.link_toggles:
        a1.append(f"partitions (faults.link_toggles = {cfg.link_toggles})")
    if t.skew is None:
        a1.append("boot skew unbounded (cluster.boot_skew off)")
    elif not t.skew < t.D:
        a1.append(f"boot skew {_seconds(t.skew)} not below deadtime {_seconds(t.D)}")
    fenced = cfg.stonith == "gated"
    if not a1:
        why1 = (f"no partitions, boot skew {_seconds(t.skew)} < deadtime, keepalive + dmax "
                f"{_seconds(t.K + t.dmax)} < deadtime")
    elif fenced:
        why1 = "STONITH before takeover (" + "; ".join(a1) + ")"
    else:
        why1 = "; ".join(a1)
    handoff = t.dmax + t.smax
    a5_limit = t.D + t.Q + t.R
    return [
        Assumption("A1", not a1 or fenced, why1),
        Assumption("A2", handoff < t.R,
                   f"dmax + smax = {_seconds(handoff)} "
                   f"{'<' if handoff < t.R else '>='} req_timeout {_seconds(t.R)}"),
        Assumption("A3", cfg.transport == "sequenced", f"{cfg.transport} transport"),
        Assumption("A4", cfg.N == 2, f"{cfg.N} node{'s' if cfg.N != 1 else ''}"),
        Assumption("A5", t.quiet is not None and t.quiet > a5_limit,
                   "faults.quiet off" if t.quiet is None else
                   f"quiet {_seconds(t.quiet)} {'>' if t.quiet > a5_limit else '<='} "
                   f"deadtime + rqstdelay + req_timeout {_seconds(a5_limit)}"),
    ]


def summary(found: list[Assumption]) -> str:
    """One line: which hold, and why not for the others."""
    return ", ".join(a.name if a.holds else f"not {a.name} ({a.why})" for a in found)
