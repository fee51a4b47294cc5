"""What the reports say about a counterexample or an undecided property, in one place."""

from hacheck.checker.verdict import NO_TIMESTAMPS  # noqa: F401  (the engine writes it)

UNTIMED_CAVEAT = (
    "This counterexample is possible in the discrete model (layer D of model.md), where every "
    "timer may fire at any moment; it is not yet shown to be possible with real timers "
    "(keepalive, deadtime, RQSTDELAY, message delays)."
)

TIMED_NOTE = (
    "This run is real: its timestamps satisfy every timing rule of model.md section 7 "
    "(keepalive, deadtime, RQSTDELAY, req_resource's timeout, message delays, script run "
    "times); Z3 chose them, and an independent replay of the rules checked them."
)

UNTIMED_TRACE_OF_TIMED_RUN = (
    "The timed search reached this violation, so timestamps satisfying every timing rule "
    "of model.md section 7 exist; they were not computed (see above)."
)

NOT_CHECKED = ("not checked: the search stopped at the first violation of S1; "
               "--keep-going explores the whole space and checks it")


def caveat(prop, mode: str) -> str:
    """The note under a counterexample: is its run real, and how do we know?"""
    if prop.times is not None:
        return TIMED_NOTE
    return UNTIMED_TRACE_OF_TIMED_RUN if mode == "timed" else UNTIMED_CAVEAT
