"""Command line: run / ingest / parse / stats (CONTRACT §3)."""
from bot.cli import main

raise SystemExit(main())
