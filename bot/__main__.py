"""Command line: run / ingest / parse / stats (CONTRACT §3)."""
import gc
import sys

from bot.startup import import_later

if sys.argv[1:2] == ["parse"]:
    # Imported by what `parse` imports, used by it only in a rare case: `dataclasses` imports
    # inspect (with ast and dis) only to write a docstring for a dataclass that has none, and
    # every dataclass `parse` loads has one (tests/test_cli_startup.py), and copy (with weakref)
    # only for asdict() and astuple(); re (with enum, its parser and compiler) is needed only for
    # more than the patterns recorded when built (bot/precompiled.py), like a pattern made at run
    # time. About 7 ms of CPU, a third of a short story's process. Other commands load them as usual.
    for name in ("inspect", "copy", "re"):
        import_later(name)

from bot.precompiled import precompiled

# Importing the bot makes tens of thousands of objects (modules, classes, compiled patterns) and
# no garbage: the cyclic collector would walk them again and again for nothing, a few per cent of
# a short `parse` process. main() turns it back on once the command's modules are loaded. What
# the imports compile (regular expressions, dataclasses' methods) comes ready-made when built.
gc.disable()
with precompiled():
    from bot.cli import main

raise SystemExit(main(standalone=True))
