"""The protocol-agnostic engine: a model interface, properties, verdicts and a BFS explorer.

Nothing in this package knows about heartbeat; it imports nothing else of hacheck. Names
are loaded on first use, so that what needs only the verdicts or the budget (the command
line, a report) does not load the compiler.
"""

from hacheck.checker.lazy import lazy_names

_WHERE = {
    "Model": "model", "SimpleModel": "model", "Successors": "model",
    "Property": "properties", "always": "properties",
    "Verdict": "verdict", "ExitCode": "verdict", "CheckResult": "verdict",
    "PropertyResult": "verdict",
    "Trace": "trace", "Step": "trace",
    "explore": "explorer", "ModelBoundError": "explorer",
    "Budget": "stopping", "Stopped": "stopping",
}

__all__ = sorted(_WHERE)

__getattr__ = lazy_names(__name__, _WHERE)
