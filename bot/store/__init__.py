"""SQLite storage: `Store` (connection, migrations, atomic()), the loader and read repositories."""
from bot.store.connection import Store, StoreError

__all__ = ["Store", "StoreError"]
