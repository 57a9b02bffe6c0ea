"""Limits shared by the configuration and the story-file readers, in a module of their own so
that `python -m bot parse` need not import the configuration (bot/config.py) for them."""
from __future__ import annotations

# An upload's size limit unless MAX_UPLOAD_MB says otherwise (CONTRACT §2).
DEFAULT_MAX_UPLOAD_MB = 10
