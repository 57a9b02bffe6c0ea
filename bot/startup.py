"""Modules put in sys.modules unexecuted, run when first used (bot/__main__.py, for `parse`)."""
from __future__ import annotations

import _thread
import importlib.util  # loaded already by runpy (`python -m`)
import sys
import types

_first_use = _thread.RLock()
_executing: set[str] = set()


class ExecutedOnFirstUse(types.ModuleType):
    """A module made from its spec but not yet executed: the first attribute it lacks executes it,
    once, whichever thread asks first (importlib.util.LazyLoader would too, but on any attribute,
    and `import` itself reads `__spec__`). While it executes, what it has not yet defined is missing
    (AttributeError), as in any module being imported."""

    def __getattr__(self, attr: str) -> object:
        with _first_use:
            if type(self) is ExecutedOnFirstUse and self.__name__ not in _executing:
                _executing.add(self.__name__)
                try:
                    self.__spec__.loader.exec_module(self)  # type: ignore[union-attr]
                    self.__class__ = types.ModuleType
                finally:
                    _executing.discard(self.__name__)
        if type(self) is ExecutedOnFirstUse:
            raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r} (yet)")
        return getattr(self, attr)


def import_later(name: str) -> None:
    """Module `name` in sys.modules, executed when one of its attributes is first used (unless it
    is imported already)."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    module.__class__ = ExecutedOnFirstUse
    sys.modules[name] = module
