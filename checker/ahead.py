"""How a search's batches are computed and inserted: with several workers (`Turns`),
each thread computes a batch's successors and inserts them itself, in batch order;
with one (`Inline`), the search's thread does both as it goes. `checker.explorer` uses
them; they know nothing of what a batch holds (docs/performance.md, "Two stages" and
"Near and far cores")."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from hacheck.checker.compiled import set_compiled_threads


class Turns:
    """Each batch computed and inserted by the same thread: K threads each take the next
    batch, compute its successors, wait for the batch before to be inserted, and insert
    their own (`insert`), so batches are still inserted in order, and the successors,
    written by one core, are read by the same core (docs/performance.md, "Near and far
    cores": handing them from one core to the other costs a third of the run when the
    host places the two far apart). An error, whether in computing or inserting, is
    raised in batch order; the batches after it are not inserted."""

    def __init__(self, compute, insert, workers: int):
        self.compute, self.insert = compute, insert
        self.pool = ThreadPoolExecutor(workers, "hacheck-batch",
                                       initializer=set_compiled_threads, initargs=(1,))
        self.turn = threading.Condition()
        self.next_to_insert = 0
        self.submitted = 0
        self.aborted = False
        self.local = threading.local()   # each thread's successor buffer, reused by it

    def submit(self, batch):
        """A future for `batch` (what `compute` is given), done when it is inserted (its
        value None: the successors are not kept)."""
        order = self.submitted
        self.submitted += 1
        return self.pool.submit(self._run, order, batch)

    def _run(self, order, batch):
        error, result = None, None
        if not self.aborted:                 # after an error, only the turns are passed
            try:
                result = self.compute(batch, getattr(self.local, "spare", None))
            except BaseException as raised:     # raised in order, below
                error = raised
        with self.turn:
            while self.next_to_insert != order:
                self.turn.wait()
        try:
            if self.aborted:
                return
            if error is not None:
                raise error
            self.insert(result)
            self.local.spare = result[1]
        except BaseException:
            self.aborted = True
            raise
        finally:
            with self.turn:
                self.next_to_insert = order + 1
                self.turn.notify_all()

    def close(self) -> None:
        self.aborted = True
        self.pool.shutdown(wait=True, cancel_futures=True)


class _Done:
    """A batch `Inline` has inserted."""

    @staticmethod
    def result():
        return None

    @staticmethod
    def done():
        return True


class Inline:
    """`Turns` on the search's own thread: each batch computed and inserted when it is
    submitted (one worker, or a model whose successors must not run concurrently)."""

    def __init__(self, compute, insert):
        self.compute, self.insert = compute, insert
        self.spare = None

    def submit(self, batch):
        result = self.compute(batch, self.spare)
        self.insert(result)
        self.spare = result[1]
        return _Done()

    def close(self) -> None:
        pass
