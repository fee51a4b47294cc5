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

import contextlib

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

leaf = njit(cache=True, _nrt=False)


def set_compiled_threads(threads: int) -> int:
    """Let compiled code on this thread use `threads` threads (numba's setting is per
    thread); the previous setting."""
    import numba

    previous = numba.get_num_threads()
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    return previous


@contextlib.contextmanager
def compiled_threads(threads: int):
    """`set_compiled_threads` for the length of a block."""
    previous = set_compiled_threads(threads)
    try:
        yield
    finally:
        set_compiled_threads(previous)


@intrinsic
def prefetch(typingctx, array, index):
    """Ask the CPU to bring array[index] into its caches, without waiting for it (LLVM's
    `llvm.prefetch`: a read, kept in every cache level). The visited set's lookups are
    random reads of tables larger than the caches; issued a few candidates ahead, their
    misses overlap instead of following one another."""
    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        item = cgutils.get_item_pointer(context, builder, array_type, view, [args[1]])
        pointer = builder.bitcast(item, ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [pointer.type, i32, i32, i32]),
            "llvm.prefetch.p0")
        builder.call(function, [pointer, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()
    return types.void(array, index), codegen
