"""Why a run ends early, decided in one place: the run's `Budget`.

A run can be cut short in six ways: a person interrupts it (SIGINT), a CI system cancels
it (SIGTERM), the time limit, the state budget or the depth bound is reached, or memory
runs short. All six end it the same way. The engine polls `Budget.check()` between
batches, in every phase of a run (the state search, the cycle search, the search for a
shortest trace, and whatever a caller adds: timestamps, files), and
`Budget.check_depth()` before it expands a level; a signal handler only calls
`Budget.request()`, so a stop never lands in the middle of an update of the visited set.
`check()` then raises `Stopped`, the phase ends, and what was found so far is reported,
with every undecided property INCOMPLETE.

A request (a signal) and running out of memory are sticky: once a run is stopping, every
later `check()` raises too, so a phase that starts after the stop (the cycle search or
a shortest-trace search after a cut state search) ends at once instead of starting long work. The limits are not
recorded: they are measured again at every check (the time limit stays passed), and a
state budget is each search's own.

Memory is watched two ways. `check(extra_bytes)` refuses to go on when the resident set,
plus what the next step is about to allocate, would pass `memory_limit`; and when the
address space is limited (`ulimit -v`, `prlimit --as`), when the mapped size would pass
that limit. A `MemoryError` that happens anyway is turned into the same stop by the
engine (`Budget.out_of_memory`).

Some phases cannot poll (a library that imports or compiles for seconds): there a stop
is `immediate`, and the signal handler raises `Stopped` at once (`interruptible`).
"""

from __future__ import annotations

import math
import os
import resource
import time
from contextlib import contextmanager

GB = 1 << 30
MAX_STATES = (1 << 31) - 1    # the engine's limit: ids are int32 in the parent links and the edge graph
MEMORY_SHARE = 0.9           # the default memory limit: this share of the machine's memory
ADDRESS_SPACE_SHARE = 0.95   # stop before the mapped size passes this share of `ulimit -v`


class Stopped(Exception):
    """The run must end now; `reason` says why, in words for the report."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Budget:
    """Everything that may end a run early (see the module docstring).

    `time_limit` (seconds of wall time since the first search began), `max_states` (distinct
    states a search may store; the engine stops exactly there), `max_depth` (a search
    expands no state more than this many steps from an initial one), `memory_limit` (bytes
    of resident memory; None: no limit of ours)."""

    def __init__(self, *, time_limit: float | None = None, max_states: int | None = None,
                 memory_limit: int | None = None, max_depth: int | None = None,
                 clock=time.perf_counter):
        self.time_limit = time_limit
        self.max_states = max_states
        self.max_depth = max_depth
        self.memory_limit = memory_limit
        self.clock = clock
        self.started = None           # the clock starts with the first search (`start_clock`)
        self.reason = ""              # why the run is stopping ("" while it is not)
        self.phase_name = "start-up"
        self.interruptible = False    # a request raises at once (see `phase`)
        self._deferred = 0            # ... except inside `deferred`
        self._address_space = address_space_limit()

    # --- requests ---------------------------------------------------------------------

    def request(self, reason: str) -> None:
        """Ask the run to stop (safe from a signal handler: it only records the reason).
        The first reason wins; in an interruptible phase, outside `deferred`, it raises
        `Stopped` at once."""
        if self.reason:
            return
        self.reason = f"{reason} during the {self.phase_name}"
        if self.interruptible and not self._deferred:
            raise Stopped(self.reason)

    def stop(self, reason: str) -> Stopped:
        """Record that the run stops for `reason` (unless it already stops): every later
        check stops it too. The exception to raise."""
        if not self.reason:
            self.reason = reason
        return Stopped(self.reason)

    def out_of_memory(self, error: BaseException | None = None, phase: str | None = None) -> str:
        """A MemoryError happened in `phase` (default: the current one): the run stops for
        that reason."""
        detail = f": {error}" if error is not None and str(error) else ""
        where = phase or self.phase_name
        return self.stop(f"out of memory during the {where}{detail}").reason

    def _limit(self, reason: str) -> Stopped:
        """A limit is passed: not recorded, since every check measures it again."""
        return Stopped(self.reason or reason)

    @property
    def stopping(self) -> bool:
        return bool(self.reason)

    # --- the check the engine polls ------------------------------------------------------

    def start_clock(self) -> None:
        """The time limit counts from here: the start of the run's first search (start-up,
        which loads or compiles the model, is not part of it)."""
        if self.started is None:
            self.started = self.clock()

    def elapsed(self) -> float:
        return 0.0 if self.started is None else self.clock() - self.started

    def raise_if_requested(self) -> None:
        """Raise `Stopped` if a stop was requested (limits aside)."""
        if self.reason:
            raise Stopped(self.reason)

    def remaining(self) -> float | None:
        """Seconds left before the time limit (None: no limit)."""
        return None if self.time_limit is None else max(0.0, self.time_limit - self.elapsed())

    def check(self, extra_bytes: int = 0) -> None:
        """Raise `Stopped` if the run must end: a request, the time limit, or memory (the
        process's memory plus `extra_bytes` about to be allocated would pass a limit)."""
        if self.reason:
            raise Stopped(self.reason)
        if self.time_limit is not None and self.elapsed() > self.time_limit:
            raise self._limit(f"time limit of {self.time_limit:g} s reached")
        self.check_memory(extra_bytes)

    @contextmanager
    def depth_bound(self, depth: int | None):
        """Within it, searches go no deeper than `depth` steps too (None: no bound of its
        own); the run's own bound, if lower, still holds."""
        saved = self.max_depth
        if depth is not None and (saved is None or depth < saved):
            self.max_depth = depth
        try:
            yield
        finally:
            self.max_depth = saved

    def check_depth(self, level: int) -> None:
        """Raise `Stopped` if the states at `level` steps from the start, some of them
        not yet expanded, are as deep as a search may go."""
        if self.max_depth is not None and level >= self.max_depth:
            steps = "step" if self.max_depth == 1 else "steps"
            raise self._limit(f"depth bound of {self.max_depth:,} {steps} reached")

    def check_memory(self, extra_bytes: int = 0) -> None:
        """Raise `Stopped` if the process's memory plus `extra_bytes` would pass a limit
        (for work that is done however the search ended, and only memory may stop)."""
        if self.memory_limit is not None or self._address_space is not None:
            resident, mapped = memory_in_use()
            if self.memory_limit is not None and resident + extra_bytes > self.memory_limit:
                raise self._limit(f"memory limit of {self.memory_limit / GB:.3g} GB reached "
                                f"({resident / GB:.3g} GB in use"
                                + (f", {extra_bytes / GB:.3g} GB more needed)"
                                   if extra_bytes else ")"))
            if (self._address_space is not None
                    and mapped + extra_bytes > ADDRESS_SPACE_SHARE * self._address_space):
                raise self._limit(f"address-space limit of {self._address_space / GB:.3g} GB "
                                f"(ulimit -v) nearly reached ({mapped / GB:.3g} GB mapped)")

    # --- phases --------------------------------------------------------------------------

    @contextmanager
    def phase(self, name: str, *, interruptible: bool = False):
        """Run a phase of the run under this name (the stop reason names it). In an
        `interruptible` phase a request raises at once, for code that cannot poll."""
        outer = self.phase_name, self.interruptible
        self.phase_name, self.interruptible = name, interruptible
        try:
            if interruptible and self.reason:
                raise Stopped(self.reason)
            yield self
        finally:
            self.phase_name, self.interruptible = outer

    @contextmanager
    def deferred(self):
        """A stretch that must not be cut in the middle (an update of the visited set): a
        request that arrives during it takes effect at its end."""
        self._deferred += 1
        try:
            yield
        finally:
            self._deferred -= 1
        if self.interruptible and not self._deferred and self.reason:
            raise Stopped(self.reason)


# --- what the machine allows ------------------------------------------------------------

def memory_in_use() -> tuple[int, int]:
    """(resident bytes, mapped bytes) of this process; (0, 0) where /proc is missing."""
    try:
        with open("/proc/self/statm", "rb") as f:
            size, resident = f.read().split()[:2]
    except (OSError, ValueError):
        return 0, 0
    page = os.sysconf("SC_PAGE_SIZE")
    return int(resident) * page, int(size) * page


def peak_memory() -> int:
    """The peak resident memory of this process so far, in bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024   # Linux: kilobytes


def address_space_limit() -> int | None:
    """The soft limit on this process's address space (`ulimit -v`), or None."""
    try:
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ValueError, OSError):
        return None
    return None if soft == resource.RLIM_INFINITY else soft


def machine_memory() -> int | None:
    """The memory this process may use: the machine's, or its cgroup's if smaller."""
    sizes = []
    try:
        sizes.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError):
        pass
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:   # cgroup v1 writes a huge number for "none"
            sizes.append(int(text))
    return min(sizes) if sizes else None


def default_memory_limit() -> int | None:
    """The memory limit a run gets unless it asks for another: 90% of `machine_memory`."""
    total = machine_memory()
    return None if total is None else int(MEMORY_SHARE * total)


def gigabytes(value: float) -> int:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(value)
    return int(value * GB)
