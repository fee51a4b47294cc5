"""Key numba's on-disk cache by the sources it was compiled from.

numba's ``cache=True`` checks only the file of the function it loads (its content), not
the files of the functions that function calls: after an edit of `model/symmetry.py` the
kernels in `model/kernel.py` would load their old machine code, with the old symmetry
inlined. So `hacheck/__init__.py` calls `configure` before any subpackage is imported
(hence before any ``@njit`` decorator runs), and it points numba's cache directory at

    <base>/<hash>

where <hash> is a 64-bit BLAKE2b digest (16 hex digits) over every source the compiled
code depends on (`compiled_sources`: the files of `checker`, `model` and `properties`
that use ``njit``, and the modules of hacheck they import, transitively), with their
names, the Python version and numba's and llvmlite's version files. Any edit of those
gives a new directory, hence a fresh compile; unchanged sources find their own directory
again and reuse it; an edit of a module that no compiled code imports compiles nothing.

<base> is the user's own ``NUMBA_CACHE_DIR`` if one is set, else
``$XDG_CACHE_HOME/hacheck/numba`` (``~/.cache/hacheck/numba``). A process that inherits
the ``NUMBA_CACHE_DIR`` set here (a subprocess, a second import) keeps the base it came
from instead of nesting a hash in a hash. If the base cannot be written, a directory
under the system's temporary directory is used. When a new per-hash directory is made,
the older ones beyond the newest `KEEP` are deleted if unused for `GRACE` seconds
(only directories this module made: they hold a `MARKER` file).

Only the standard library, and only its cheap modules, are imported here: this runs at
every ``import hacheck``.
"""

import os
import sys
from importlib.util import find_spec

try:                                    # builtin: hashlib would load OpenSSL (~5 ms)
    from _blake2 import blake2b
except ImportError:                     # pragma: no cover
    from hashlib import blake2b

SUBPACKAGES = ("checker", "model", "properties")   # the ones with @njit(cache=True)
VERSION_FILES = (("numba", "_version.py"), ("llvmlite", "_version.py"))
KEEP = 4            # per-hash directories kept, the one in use included
GRACE = 3600.0      # seconds: a directory used this recently is never deleted
MARKER = "HACHECK_CACHE"
ENV_DIR = "HACHECK_NUMBA_CACHE_DIR"     # the NUMBA_CACHE_DIR this module chose ...
ENV_BASE = "HACHECK_NUMBA_CACHE_BASE"   # ... and the base it chose it in

SOURCE_HASH = None  # set by configure
CACHE_DIR = None


def _files(directory, prefix):
    """(name, path) of every *.py file under `directory`, sorted, names with `prefix`."""
    found = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return found
    for entry in sorted(entries, key=lambda e: e.name):
        name = prefix + "/" + entry.name
        if entry.name.endswith(".py") and entry.is_file():
            found.append((name, entry.path))
        elif entry.is_dir() and entry.name != "__pycache__" and not entry.name.startswith("."):
            found.extend(_files(entry.path, name))
    return found


def _imports(data, package):
    """The modules of `package` a source imports (`from package.x.y import a` gives
    `x.y` and, if it is one, the submodule `x.y.a`), as names relative to `package`. A
    regular expression, not `ast`: this runs at every import of hacheck."""
    import re
    found = set()
    text = data.decode("utf-8", "replace")
    pattern = rf"^\s*from\s+{re.escape(package)}\.([\w.]+)\s+import\s+(\([^)]*\)|[^\n]*)"
    for module, names in re.findall(pattern, text, re.M):
        found.add(module)
        for name in re.sub(r"#[^\n]*", "", names).strip("()").split(","):
            name = name.split(" as ")[0].strip()
            if name.isidentifier():
                found.add(f"{module}.{name}")
    found.update(re.findall(rf"^\s*import\s+{re.escape(package)}\.([\w.]+)", text, re.M))
    return found


def compiled_sources(package="hacheck"):
    """(name, bytes) of every source the compiled code depends on: each file of the
    compiled subpackages that uses numba's ``njit``, and every module of `package` they
    import, transitively (numba freezes what a function reads of its module's globals,
    constants included, and inlines its callees). A module nothing compiled imports (the
    engine's Python loops, the spec reader, the reports) is left out, so editing it
    compiles nothing again."""
    files = {}                                  # "model.state" -> (name, path)
    for sub in SUBPACKAGES:
        spec = find_spec(f"{package}.{sub}")
        for location in (spec.submodule_search_locations or ()) if spec else ():
            for name, path in _files(location, sub):
                module = name[:-3].replace("/", ".").removesuffix(".__init__")
                files[module] = (name, path)
    contents = {}

    def read(module):
        if module not in contents:
            with open(files[module][1], "rb") as f:
                contents[module] = f.read()
        return contents[module]

    todo = [m for m in files if b"njit" in read(m)]
    needed = set()
    while todo:
        module = todo.pop()
        if module in needed:
            continue
        needed.add(module)
        todo.extend(m for m in _imports(read(module), package) if m in files)
    return [(files[m][0], contents[m]) for m in sorted(needed, key=lambda m: files[m][0])]


def source_hash(package="hacheck"):
    """16 hex digits over the sources the compiled code depends on (`compiled_sources`,
    found without importing them, so this works inside `package/__init__.py`) and the
    versions of Python, numba and llvmlite."""
    h = blake2b(digest_size=8)
    h.update(sys.version.encode() + b"\0" + sys.implementation.cache_tag.encode() + b"\0")
    for name, data in compiled_sources(package):
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)
    for top, filename in VERSION_FILES:
        try:
            spec = find_spec(top)
            with open(os.path.join(spec.submodule_search_locations[0], filename), "rb") as f:
                h.update(f"[{top}]".encode() + f.read())
        except Exception:               # not installed, or laid out differently
            h.update(f"[{top}:?]".encode())
    return h.hexdigest()


def _is_hash(name):
    return len(name) == 16 and all(c in "0123456789abcdef" for c in name)


def default_base(environ):
    xdg = environ.get("XDG_CACHE_HOME", "")
    root = xdg if os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "hacheck", "numba")


def resolve_base(environ):
    """The directory the per-hash directories go in."""
    current = environ.get("NUMBA_CACHE_DIR", "")
    if current and environ.get(ENV_BASE) and current == environ.get(ENV_DIR):
        return environ[ENV_BASE]        # set by an earlier import, here or in a parent
    if current and _is_hash(os.path.basename(os.path.normpath(current))) and \
            os.path.exists(os.path.join(current, MARKER)):
        return os.path.dirname(os.path.normpath(current))   # ours, markers not passed on
    if current:
        return os.path.abspath(current)  # the user's own
    return default_base(environ)


def _usable(path):
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def prune(base, keep=KEEP, grace=GRACE, now=None):
    """Delete the per-hash directories of `base` beyond the `keep` most recently used,
    except those used in the last `grace` seconds. Returns the paths deleted."""
    import shutil
    import time
    now = time.time() if now is None else now
    dirs = []
    try:
        with os.scandir(base) as it:
            for entry in it:
                try:
                    if _is_hash(entry.name) and entry.is_dir(follow_symlinks=False) and \
                            os.path.exists(os.path.join(entry.path, MARKER)):
                        dirs.append((entry.stat(follow_symlinks=False).st_mtime, entry.path))
                except OSError:
                    pass
    except OSError:
        return []
    dirs.sort(reverse=True)
    deleted = []
    for mtime, path in dirs[keep:]:
        if now - mtime > grace:
            shutil.rmtree(path, ignore_errors=True)
            deleted.append(path)
    return deleted


def _roots(base):
    yield base
    import tempfile
    uid = getattr(os, "getuid", lambda: "user")()
    fallback = os.path.join(tempfile.gettempdir(), f"hacheck-{uid}", "numba")
    if fallback != base:
        yield fallback


def prepare(base, digest):
    """(base, base/digest), made if needed, with a temporary base if `base` cannot be
    written; None if nothing can."""
    for root in _roots(base):
        path = os.path.join(root, digest)
        fresh = not os.path.isdir(path)
        if not _usable(path):
            continue
        try:
            marker = os.path.join(path, MARKER)
            if fresh or not os.path.exists(marker):
                with open(marker, "w") as f:
                    f.write("numba's cache for hacheck, keyed by the hash of the sources "
                            "it was compiled from (hacheck/_cache.py)\n")
            else:
                os.utime(path)          # the most recently used are pruned last
            if fresh:
                prune(root)
        except OSError:
            pass
        return root, path
    return None


def configure(package="hacheck", environ=None):
    """Point numba's cache at the directory of the current sources. Never raises."""
    global SOURCE_HASH, CACHE_DIR
    environ = os.environ if environ is None else environ
    try:
        SOURCE_HASH = source_hash(package)
        found = prepare(resolve_base(environ), SOURCE_HASH)
        if found is None:
            import warnings
            warnings.warn("hacheck: no writable directory for numba's cache; compiled code "
                          "may be cached next to the sources and go stale", RuntimeWarning)
            return None
        base, CACHE_DIR = found
        environ["NUMBA_CACHE_DIR"] = CACHE_DIR
        environ[ENV_DIR] = CACHE_DIR
        environ[ENV_BASE] = base
        config = sys.modules.get("numba.core.config")
        if config is not None:          # numba was imported first: it read the variable
            config.CACHE_DIR = CACHE_DIR
        return CACHE_DIR
    except Exception as error:          # never fail the import over the cache
        import warnings
        warnings.warn(f"hacheck: could not set up numba's cache: {error!r}", RuntimeWarning)
        return None
