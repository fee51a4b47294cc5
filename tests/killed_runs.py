"""Running the command in a process of its own and killing it once it has saved a
checkpoint: what the checkpoint tests (local and Ray) resume from."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def kill_once_saved(argv: list[str], checkpoint: Path, patience: float = 180) -> int:
    """Run `hacheck argv` (which saves into `checkpoint`) in a process group of its own,
    kill it with SIGKILL as soon as a checkpoint's `meta.json` is there, then whatever it
    left in its group (a local Ray's agents outlive their driver). Its return code."""
    proc = subprocess.Popen([sys.executable, "-m", "hacheck.tools.cli", *argv],
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + patience
        while not list(checkpoint.glob("*/meta.json")) and time.monotonic() < deadline:
            assert proc.poll() is None, "the run ended before it could be killed"
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        return proc.wait()
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:       # nothing was left
            pass
