"""The protocol-agnostic engine: a model interface, properties, verdicts and a BFS explorer.

Nothing in this package knows about heartbeat; it imports nothing else of hacheck.
"""

from hacheck.checker.model import Model, SimpleModel, Successors
from hacheck.checker.properties import Property, always
from hacheck.checker.verdict import Verdict, ExitCode, CheckResult, PropertyResult
from hacheck.checker.trace import Trace, Step
from hacheck.checker.explorer import explore, ModelBoundError

__all__ = [
    "Model", "SimpleModel", "Successors", "Property", "always", "Verdict", "ExitCode",
    "CheckResult", "PropertyResult", "Trace", "Step", "explore", "ModelBoundError",
]
