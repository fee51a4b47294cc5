"""`leaf`: how the hottest compiled (numba) functions are compiled.

The rest are numba's `njit(cache=True)`, cached on disk (keyed by the source, see
tests/test_cache.py). `leaf` is for the functions the successor loops call for every
action and every successor, which allocate no array and return none: they are compiled
without numba's reference counting. Numba increments the count of every array argument
when a function is entered and decrements it on each exit, atomically, and its pruning
pass leaves those pairs in functions with several exits. In the timed successor kernel
they took 40% of the time (perf), more with two threads, which share the counts of the
arrays they both read. A leaf's callers hold the references, so nothing it sees is
freed under it; it must not store or return an array it did not receive.
"""

from __future__ import annotations

from numba import njit

leaf = njit(cache=True, _nrt=False)
