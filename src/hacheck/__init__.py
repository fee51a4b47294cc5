"""hacheck: a model checker for heartbeat's nice_failback resource acquisition (2000)."""

__version__ = "0.1.0"

from hacheck import _cache

_cache.configure(__name__)   # before any @njit runs: a cache per source hash (_cache.py)
