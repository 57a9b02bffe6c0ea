"""Command line: run / ingest / parse / stats (CONTRACT §3)."""
import gc
import importlib.util  # loaded already by runpy (`python -m`)
import sys
import types


class _ExecutedOnFirstUse(types.ModuleType):
    """A module made from its spec but not yet executed: the first attribute it lacks executes it
    (importlib.util.LazyLoader would too, but on any attribute, and `import` itself reads
    `__spec__`)."""

    def __getattr__(self, attr: str) -> object:
        self.__class__ = types.ModuleType
        self.__spec__.loader.exec_module(self)
        return getattr(self, attr)


def _import_later(name: str) -> None:
    """Module `name` in sys.modules, executed when one of its attributes is first used.

    `dataclasses` imports `inspect` (with ast, dis and tokenize: ~4 ms of CPU, a tenth of a short
    `parse` process) only to write a docstring for a dataclass that has none: every dataclass that
    `parse` loads has one (tests/test_cli_startup.py), so there it never runs. `run` runs it when
    discord.py first uses it."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    module.__class__ = _ExecutedOnFirstUse
    sys.modules[name] = module


_import_later("inspect")

from bot.precompiled import precompiled  # noqa: E402

# Importing the bot makes tens of thousands of objects (modules, classes, compiled patterns) and
# no garbage: the cyclic collector would walk them again and again for nothing, a few per cent of
# a short `parse` process. main() turns it back on once the command's modules are loaded. What
# the imports compile (regular expressions, dataclasses' methods) comes ready-made when built.
gc.disable()
with precompiled():
    from bot.cli import main

raise SystemExit(main(standalone=True))
