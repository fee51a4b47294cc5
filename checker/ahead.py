"""The two stages of a search with several workers: a pool of threads computes the
successors of the next batches of a level while the search's own thread inserts the
batch before (docs/performance.md, "Two stages"). `checker.explorer` uses it; it knows
nothing of what a batch holds."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

from hacheck.checker.compiled import set_compiled_threads


class _Job:
    """The successors of one batch: computed by a thread of the pool, or, if none has
    started on it when the search needs the result, where the search is."""

    def __init__(self, compute, packed, spare):
        self.compute, self.packed, self.spare = compute, packed, spare
        self.future = None
        self.value = None
        self.error: Exception | None = None

    def run(self):
        return self.compute(self.packed, self.spare)

    def ready(self) -> bool:
        return (self.value is not None or self.error is not None
                or (self.future is not None and self.future.done()))

    def steal(self) -> None:
        """Compute it on this thread if no thread of the pool has started it. An error
        (a model bound) is raised only when its result is asked for, in batch order."""
        if self.value is None and self.future is not None and self.future.cancel():
            self.future = None
            try:
                self.value = self.run()
            except Exception as error:
                self.error = error

    def result(self):
        if self.error is not None:
            raise self.error
        if self.value is None:
            self.value = self.run() if self.future is None else self.future.result()
        return self.value


class Ahead:
    """The successors of the batches of a level, in order. With K > 1 workers (and a
    model whose successors may run concurrently), a pool of K - 1 threads, each running
    the model's compiled code on one core, computes the successors of the next batches
    while the search inserts the one before; when the batch the search needs next is not
    ready, it computes a later one that no thread has started (`_Job.steal`), so neither
    stage waits for the other whichever is the heavier (docs/performance.md, "Two
    stages"). Batches are still inserted in order, so nothing the search finds depends
    on it. The buffer of a batch the search is done with is handed to the model for a
    later batch."""

    def __init__(self, successors, workers: int):
        self.compute = successors
        self.spares: list = []
        self.pool = None
        self.depth = 1      # batches whose successors are asked for before they are needed
        if workers > 1:
            self.depth = workers + 1    # one for each thread, and one to steal
            self.pool = ThreadPoolExecutor(workers - 1, "hacheck-successors",
                                           initializer=set_compiled_threads, initargs=(1,))

    def successors(self, packed) -> _Job:
        """A job for the successors of a batch's rows, `packed` (`PackedRows` or
        `UnpackedRows`), started on the pool if there is one."""
        spare = self.spares.pop() if self.spares else None
        job = _Job(self.compute, packed, spare)
        if self.pool is not None:
            job.future = self.pool.submit(job.run)
        return job

    def next_result(self, jobs: Sequence[_Job]):
        """The first job's successors; while they are not ready, a later job is stolen."""
        first = jobs[0]
        for later in jobs[1:]:
            if first.ready():
                break
            later.steal()
        return first.result()

    def done_with(self, succ) -> None:
        self.spares.append(succ)

    def close(self) -> None:
        if self.pool is not None:    # waits for a batch still being computed
            self.pool.shutdown(wait=True, cancel_futures=True)
