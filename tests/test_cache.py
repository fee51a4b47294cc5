"""numba's compiled cache is keyed by the sources it was compiled from (hacheck/_cache.py).

numba's own `cache=True` checks only the file of the function it loads, so an edit in a
callee's file used to leave the old machine code running. The main test edits a callee in
a copy of the package and sees the new behaviour; the others pin how the cache directory
is chosen, reused, inherited and pruned, without compiling anything.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import hacheck
from hacheck import _cache

PACKAGES = ("checker", "model", "properties", "witness", "tools", "specs")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc")

# Imports the copy under `argv[1]` (never the editable install) and asks S1's compiled
# row predicate (properties/safety.py: `_doubly_held_rows`) whether two nodes that both
# run group g0 violate it. The predicate finds a node's variables with `node()`, a
# compiled function of another file, model/state.py: the callee the test edits.
PROGRAM = r"""
import json, sys
sys.meta_path[:] = [f for f in sys.meta_path
                    if not getattr(f, "__module__", "").startswith("__editable__")]
sys.path.insert(0, sys.argv[1])
import hacheck
from hacheck.model import Config, state
from hacheck.model.view import initial_state, pack
from hacheck.properties import safety
import numba
cfg = Config(N=2, home=(0, 1))
both = pack(state.geometry(cfg), initial_state(cfg)._replace(own=(1, 1)))[None, :]
violated = bool(safety.S1(cfg).violated(both)[0])
stats = safety._doubly_held_rows.stats
print(json.dumps({
    "files": [hacheck.__file__, safety.__file__, state.__file__],
    "cache_dir": hacheck._cache.CACHE_DIR,
    "numba_cache_dir": numba.config.CACHE_DIR,
    "kernel_cache": stats.cache_path,
    "hits": sum(stats.cache_hits.values()),
    "misses": sum(stats.cache_misses.values()),
    "violated": violated,
}))
"""


def copy_package(root: Path) -> Path:
    """The installed package's sources as a plain package under `root`."""
    top = root / "hacheck"
    top.mkdir(parents=True)
    for source in Path(hacheck.__file__).parent.glob("*.py"):
        shutil.copy2(source, top / source.name)
    for sub in PACKAGES:
        spec = importlib.util.find_spec(f"hacheck.{sub}")
        for location in spec.submodule_search_locations:
            shutil.copytree(location, top / sub, ignore=IGNORE, dirs_exist_ok=True)
    return top


def run_copy(root: Path, base: Path) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(base))
    done = subprocess.run([sys.executable, "-I", "-c", PROGRAM, str(root)], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    for file in out["files"]:
        assert Path(file).is_relative_to(root), (file, "not the copy")
    assert Path(out["cache_dir"]).parent == base
    assert out["numba_cache_dir"] == out["cache_dir"]
    assert Path(out["kernel_cache"]).is_relative_to(out["cache_dir"])
    return out


def shift_node_offsets(state_py: Path):
    """`node(k, i)` points one byte past node i's variables: S1's predicate then reads
    the byte after `own`, which is 0 here."""
    text = state_py.read_text()
    old = "    return k[K_NODES] + i * NODE_FIELDS\n"
    assert text.count(old) == 1
    state_py.write_text(text.replace(old, "    return k[K_NODES] + i * NODE_FIELDS + 1   "
                                          "# edited by tests/test_cache.py\n"))


def test_an_edit_in_a_callees_file_recompiles_and_unchanged_sources_reuse_the_cache(tmp_path):
    root, base = tmp_path / "copy", tmp_path / "numba-cache"
    state_py = copy_package(root) / "model" / "state.py"
    original, stat = state_py.read_bytes(), state_py.stat()

    first = run_copy(root, base)
    assert first["violated"] is True
    assert (first["hits"], first["misses"]) == (0, 1)
    assert list(Path(first["cache_dir"]).rglob("*.nbi")), "nothing was cached"

    # properties/safety.py is untouched: only its callee node(), in model/state.py, changes
    shift_node_offsets(state_py)
    second = run_copy(root, base)
    assert second["violated"] is False, "the old compiled node() ran: a stale cache"
    assert second["cache_dir"] != first["cache_dir"]
    assert (second["hits"], second["misses"]) == (0, 1)

    # the original sources again (same bytes, same mtime): the first directory, reused
    state_py.write_bytes(original)
    os.utime(state_py, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    third = run_copy(root, base)
    assert third["cache_dir"] == first["cache_dir"]
    assert (third["hits"], third["misses"]) == (1, 0)
    assert third["violated"] is True


# --- how the directory is chosen: no compiling ------------------------------------------

def import_hacheck(env: dict, first: str = "") -> dict:
    """`import hacheck` (the installed one) in a fresh process; its cache variables."""
    code = (f"{first}\nimport json, os, sys, hacheck\n"
            "cfg = sys.modules.get('numba.core.config')\n"
            "print(json.dumps({k: v for k, v in os.environ.items() if 'NUMBA_CACHE' in k}"
            " | {'config': cfg and cfg.CACHE_DIR}))")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_process_that_inherits_the_variable_keeps_its_base_and_does_not_nest(tmp_path):
    base = tmp_path / "mine"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HACHECK_")}
    first = import_hacheck(env | {"NUMBA_CACHE_DIR": str(base)})
    ours = Path(first["NUMBA_CACHE_DIR"])
    assert ours.parent == base and _cache._is_hash(ours.name)
    assert (ours / _cache.MARKER).exists() and first[_cache.ENV_BASE] == str(base)
    # (the trees are edited concurrently, so a later import may hash other sources:
    # what matters is that its directory is again right under `base`)
    inherited = env | {k: v for k, v in first.items() if k != "config"}
    assert Path(import_hacheck(inherited)["NUMBA_CACHE_DIR"]).parent == base
    # only NUMBA_CACHE_DIR passed on: recognised by the directory's marker
    again = import_hacheck(env | {"NUMBA_CACHE_DIR": str(ours)})
    assert Path(again["NUMBA_CACHE_DIR"]).parent == base
    # numba imported before hacheck: its configuration is updated too
    late = import_hacheck(env | {"NUMBA_CACHE_DIR": str(base)}, first="import numba")
    assert late["config"] == late["NUMBA_CACHE_DIR"]
    assert Path(late["config"]).parent == base


def test_the_base_is_the_users_variable_else_the_xdg_cache(tmp_path):
    home = os.path.expanduser("~")
    assert _cache.resolve_base({}) == os.path.join(home, ".cache", "hacheck", "numba")
    assert _cache.resolve_base({"XDG_CACHE_HOME": "rel"}) == _cache.resolve_base({})
    assert _cache.resolve_base({"XDG_CACHE_HOME": str(tmp_path)}) == \
        str(tmp_path / "hacheck" / "numba")
    assert _cache.resolve_base({"NUMBA_CACHE_DIR": str(tmp_path)}) == str(tmp_path)
    ours = str(tmp_path / "0123456789abcdef")
    # markers from another process whose NUMBA_CACHE_DIR the user has since changed
    assert _cache.resolve_base({"NUMBA_CACHE_DIR": str(tmp_path), _cache.ENV_DIR: ours,
                                _cache.ENV_BASE: "/elsewhere"}) == str(tmp_path)
    assert _cache.resolve_base({"NUMBA_CACHE_DIR": ours, _cache.ENV_DIR: ours,
                                _cache.ENV_BASE: str(tmp_path)}) == str(tmp_path)


def test_an_unwritable_base_falls_back_to_a_temporary_directory(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    root, path = _cache.prepare(str(blocker / "base"), "0123456789abcdef")
    assert Path(root).is_relative_to(tmp_path / "tmp")
    assert os.path.isdir(path) and os.path.exists(os.path.join(path, _cache.MARKER))


def test_configure_never_raises(monkeypatch):
    monkeypatch.setattr(_cache, "SOURCE_HASH", _cache.SOURCE_HASH)
    monkeypatch.setattr(_cache, "CACHE_DIR", _cache.CACHE_DIR)
    env = {}
    with pytest.warns(RuntimeWarning):
        assert _cache.configure("no_such_package_for_hacheck", env) is None
    assert env == {}


def test_the_hash_covers_what_compiled_code_depends_on_and_nothing_else(tmp_path,
                                                                       monkeypatch):
    name = "hacheck_cache_probe"
    for sub in ("checker", "model", "properties", "tools"):
        (tmp_path / name / sub).mkdir(parents=True)
        (tmp_path / name / sub / "__init__.py").write_text("")
    (tmp_path / name / "__init__.py").write_text("")
    files = {
        "model/state.py": "from numba import njit\nfrom hacheck_cache_probe.model.config "
                          "import (\n    LIMIT,  # a constant the kernels freeze\n)\n",
        "model/config.py": "LIMIT = 8\n",
        "model/kernel.py": "from numba import njit\nfrom hacheck_cache_probe.model import "
                           "shapes as s\n",
        "model/shapes.py": "WIDTH = 3\n",
        "model/spec.py": "from hacheck_cache_probe.model.config import LIMIT\n",   # no njit
        "checker/explorer.py": "import numpy\n",                                  # no njit
        "tools/cli.py": "x = 1\n",
    }
    for path, text in files.items():
        (tmp_path / name / path).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    assert [n for n, _ in _cache.compiled_sources(name)] == [   # the package, imported too
        "model/__init__.py", "model/config.py", "model/kernel.py", "model/shapes.py",
        "model/state.py"]
    before = _cache.source_hash(name)
    for path in ("model/spec.py", "checker/explorer.py", "tools/cli.py"):
        (tmp_path / name / path).write_text("y = 2\n")        # nothing compiled reads them
        assert _cache.source_hash(name) == before, path
    seen = {before}
    for path in ("model/config.py", "model/shapes.py", "model/state.py"):
        with open(tmp_path / name / path, "a") as f:
            f.write("# edited\n")
        digest = _cache.source_hash(name)
        assert digest not in seen, path
        seen.add(digest)


# --- the inserts count no references (checker/compiled.py, `leaf`) ---------------------------

def _fresh_ir(dispatcher) -> str:
    """The LLVM IR of a fresh compilation of a compiled function, for the signature it
    was last called with (numba cannot show the IR of code loaded from its cache)."""
    from numba import njit

    options = {k: v for k, v in dispatcher.targetoptions.items()
               if k not in ("cache", "nopython")}
    copy = njit(**options)(dispatcher.py_func)
    signature = dispatcher.signatures[-1]
    copy.compile(signature)
    return copy.inspect_llvm(signature)


def test_the_inserts_count_no_references_to_their_arrays():
    """The search's inserts run once per candidate on the search's thread: compiled
    without numba's reference counting (an atomic count per view of an array), as the
    successor kernel's leaves are. A plain `njit` of the zone store's insert counted
    35 increments and 119 decrements."""
    from hacheck.checker import explore, tables, zonestore
    from hacheck.model import Config, HeartbeatModel
    from hacheck.model.timed_model import TimedHeartbeatModel
    from hacheck.properties import safety_properties

    cfg = Config(N=2, home=(0, 1), crashes=1, restarts=1)
    explore(HeartbeatModel(cfg), safety_properties(cfg), max_states=2_000)
    explore(TimedHeartbeatModel(cfg), safety_properties(cfg), max_states=2_000)
    for insert in (tables.exact_insert, zonestore._zone_insert):
        ir = _fresh_ir(insert)
        assert "NRT_incref" not in ir and "NRT_decref" not in ir, insert.py_func.__name__
