"""What the Murphi and Promela generators share: the message encoding and the bounds.

A message of model.md section 2 is one small integer, `0` meaning "no message" (the value
of every FIFO slot past the sequence's length). The codes are dense, type by type:

| message | code |
|---|---|
| `STARTING(s)` | `BASE_S + s` |
| `RES(s, n, st, md)` | `BASE_R + ((s*4 + n)*3 + st)*2 + md` (`st`: 0, 1, 2 = absent) |
| `IPREQ(s, g)` | `BASE_Q + s*G + g` |
| `IPRESP(s, d, g)` | `BASE_P + (s*N + d)*G + g` |

The sender `s` is kept in the code although it is implied by the channel or status pipe a
message sits in (only node i appends to `ch[i][*]` and to its `selfq`): it is part of the
message in model.md, and keeping it changes no count.
"""

from __future__ import annotations

import subprocess
import sys
import time

DEFAULT_CAP = 8   # slots per channel / status pipe; the models stop with an error if exceeded
MAX_CHILDREN = 3  # model.md §3: `chld` never needs to exceed 3 (an error if it would)


def message_bases(N: int, G: int) -> dict[str, int]:
    base_s = 1
    base_r = base_s + N
    base_q = base_r + N * 4 * 3 * 2
    base_p = base_q + N * G
    max_msg = base_p + N * N * G - 1
    return {"BASE_S": base_s, "BASE_R": base_r, "BASE_Q": base_q, "BASE_P": base_p, "MAXMSG": max_msg}


def check_config(cfg, versions: tuple[str, ...] = ("1.51",)) -> None:
    """Refuse what a generator does not encode: N = 1, no groups, another heartbeat.c
    revision than `versions`, and every option beyond model.md (unsequenced transport,
    email timer, STONITH, healing, the broken demo)."""
    if cfg.N < 2:
        raise ValueError("the peer generators support N >= 2 only")
    if cfg.G < 1:
        raise ValueError("the peer generators need at least one resource group")
    version = getattr(cfg, "version", "1.51")
    if version not in versions:
        raise ValueError(f"this peer generator encodes heartbeat.c {', '.join(versions)} only, "
                         f"not {version}")
    if getattr(cfg, "transport", "sequenced") != "sequenced" or getattr(cfg, "variants", False):
        raise ValueError("the peer generators encode the sequenced transport without variants only")


def describe(cfg) -> str:
    return (f"N={cfg.N} home={list(cfg.home)} nice_failback={'on' if cfg.nice_failback else 'off'} "
            f"crashes={cfg.crashes} restarts={cfg.restarts} link_toggles={cfg.link_toggles}")


class BoundExceeded(Exception):
    """A peer model hit its FIFO capacity: run it again with more room."""


def with_cap(run, cap: int, max_cap: int = 128) -> dict:
    """run(cap) runs one tool; if a FIFO bound is hit, double the capacity and run again
    (the capacity changes the representation only, never the count)."""
    while True:
        try:
            r = run(cap)
            r["cap"] = cap
            return r
        except BoundExceeded as e:
            if cap >= max_cap:
                raise
            print(f"    {e}; retrying with capacity {cap * 2}", file=sys.stderr, flush=True)
            cap *= 2


def build(argvs: list[list[str]], cwd: str) -> float:
    """Run each command in cwd (a generator or a compiler); raise if one fails; return
    the seconds taken."""
    start = time.perf_counter()
    for argv in argvs:
        r = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{r.stdout}\n{r.stderr}")
    return time.perf_counter() - start
