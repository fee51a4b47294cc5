"""Names of a package loaded on first use (PEP 562), so that what needs only a light
part of it (the command line reading a spec, a report) does not load the compiler."""

from __future__ import annotations

from importlib import import_module


def lazy_names(package: str, where: dict[str, str]):
    """The package's `__getattr__`: `where` maps each name to the module (of `package`)
    that declares it; a name is imported from there the first time it is asked for."""
    def __getattr__(name: str):
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{where[name]}"), name)
        vars(import_module(package))[name] = value
        return value
    return __getattr__
