"""Command line: run / ingest / parse / stats (CONTRACT §3)."""
import gc

# Importing the bot makes tens of thousands of objects (modules, classes, compiled patterns) and
# no garbage: the cyclic collector would walk them again and again for nothing, a few per cent of
# a short `parse` process. main() turns it back on once the command's modules are loaded.
gc.disable()

from bot.cli import main  # noqa: E402

raise SystemExit(main(standalone=True))
