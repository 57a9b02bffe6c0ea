"""Command line: run / ingest / parse / stats (CONTRACT §3)."""
import gc

from bot.precompiled import precompiled

# Importing the bot makes tens of thousands of objects (modules, classes, compiled patterns) and
# no garbage: the cyclic collector would walk them again and again for nothing, a few per cent of
# a short `parse` process. main() turns it back on once the command's modules are loaded. What
# the imports compile (regular expressions, dataclasses' methods) comes ready-made when built.
gc.disable()
with precompiled():
    from bot.cli import main

raise SystemExit(main(standalone=True))
