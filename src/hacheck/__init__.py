"""hacheck: a model checker for heartbeat's nice_failback resource acquisition (2000)."""

__version__ = "0.1.0"
