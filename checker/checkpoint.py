"""Checkpoints of a breadth-first search, so that a run that dies after hours resumes.

A search writes, at the end of a level and at most every `every` seconds, everything it
needs to go on from the next level: the visited set (`store.snapshot()`), the parent
links, the protocol edges L0 needs, the next frontier (fingerprint mode), its counters
and the violations seen so far. It also writes one when it finishes, so that a resumed
run skips a finished search at once. A resumed search restores the last checkpoint and
goes on exactly as the uninterrupted one would have: ids are discovery ranks and the
order of insertion does not depend on timing, so the counts, the violations and the
traces are the same.

A directory holds the checkpoints of one run: `run.json` says which (the spec's text,
the options that change what is explored); each search of the run (the untimed run has
one, of S1, L0 and L1) has a subdirectory named after what it explores. Every file is
written beside its final name and renamed over it, so a run killed while writing leaves
the previous checkpoint intact. The arrays are `.npy` files read without pickle.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

FORMAT = 4      # 2: fingerprint mode's frontier is saved packed (checker/frontier.py);
                # 3: a Ray shard saves its edges, its frontier's ids and its levels' ends;
                # 4: a reduced search stores only the ends of chains of single ample
                #    steps (docs/reduction.md), so an older one was of another graph


class CheckpointError(ValueError):
    """A checkpoint directory that cannot be used (the message is one line)."""


def _write_atomically(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".partial")
    with open(tmp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Checkpoints:
    """The checkpoints of one run in `directory`: written every `every` seconds (at a
    level's end), and, with `resume`, read back."""

    def __init__(self, directory: str | Path, run: dict, every: float = 600.0,
                 resume: bool = False):
        self.directory = Path(directory)
        self.every = every
        self.resume = resume
        where = str(self.directory)
        if resume:
            try:
                saved = json.loads((self.directory / "run.json").read_text())
            except FileNotFoundError:
                raise CheckpointError(f"{where}: no checkpoint to resume (no run.json)") \
                    from None
            except (OSError, ValueError) as e:
                raise CheckpointError(f"{where}/run.json: cannot read it ({e})") from None
            if (not isinstance(saved, dict) or saved.get("format") != FORMAT
                    or not isinstance(saved.get("run", {}), dict)):
                raise CheckpointError(f"{where}/run.json: not a checkpoint of this hacheck "
                                      f"(format {FORMAT} expected)")
            earlier = saved.get("run", {})
            for key in [*run, *(k for k in earlier if k not in run)]:
                value = run.get(key)
                if earlier.get(key) != value:
                    raise CheckpointError(
                        f"{where}/run.json: the checkpoint is of another run: `{key}` was "
                        f"{json.dumps(earlier.get(key))}, this run has "
                        f"{json.dumps(value)}")
        else:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise CheckpointError(f"{where}: cannot create it ({e.strerror or e})") \
                    from None
            if any(self.directory.iterdir()) and not (self.directory / "run.json").exists():
                raise CheckpointError(f"{where}: not empty and not a checkpoint directory")
            document = json.dumps({"format": FORMAT, "run": run}, indent=1).encode()
            _write_atomically(self.directory / "run.json", lambda f: f.write(document))

    def search(self, identity: dict) -> "SearchCheckpoint":
        """The checkpoint of one search of the run, named by what it explores."""
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
        return SearchCheckpoint(self.directory / digest[:16], self.every, self.resume)


class SearchCheckpoint:
    def __init__(self, directory: Path, every: float, resume: bool):
        self.directory, self.every, self.resume = directory, every, resume
        self.last = time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self.last >= self.every

    def save(self, arrays, meta: dict) -> None:
        """Replace the checkpoint by this one: the arrays first, then `meta.json`, which
        names them, so that a checkpoint is complete once its meta.json is. `arrays` is
        a mapping of names to arrays, or an iterable of (name, array) pairs, read one at
        a time (the Ray search fetches each shard's arrays only when they are written)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        generation = int(time.time_ns())
        names = []
        for name, array in (arrays.items() if isinstance(arrays, dict) else arrays):
            _write_atomically(self.directory / f"{name}.{generation}.npy",
                              lambda f, a=array: np.save(f, np.ascontiguousarray(a),
                                                         allow_pickle=False))
            names.append(name)
        document = json.dumps({"format": FORMAT, "generation": generation,
                               "arrays": sorted(names), **meta}).encode()
        _write_atomically(self.directory / "meta.json", lambda f: f.write(document))
        for old in self.directory.glob("*.npy"):       # the arrays of older checkpoints
            if not old.name.endswith(f".{generation}.npy"):
                old.unlink(missing_ok=True)
        self.last = time.monotonic()

    def load(self) -> tuple[dict, dict] | None:
        """(arrays, meta) of the last checkpoint, or None (not resuming, or none yet)."""
        found = self.load_lazily()
        if found is None:
            return None
        names, meta, read = found
        return {name: read(name) for name in names}, meta

    def load_lazily(self):
        """(names, meta, read) of the last checkpoint, or None: `read(name)` reads one
        array, so that a caller can hold one part of a large checkpoint at a time."""
        if not self.resume:
            return None
        try:
            meta = json.loads((self.directory / "meta.json").read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            raise CheckpointError(f"{self.directory}/meta.json: cannot read it ({e})") from None

        def read(name: str) -> np.ndarray:
            path = self.directory / f"{name}.{meta['generation']}.npy"
            try:
                return np.load(path, allow_pickle=False)
            except (OSError, ValueError) as e:
                raise CheckpointError(f"{path}: cannot read it ({e})") from None
        return list(meta.get("arrays", [])), meta, read
