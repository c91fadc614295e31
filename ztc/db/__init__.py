"""The bus database (SQLite, WAL) and its outbox."""
from ztc.db.database import Database, StorageBusy, StorageError, StorageFull, latest_version, migrate, open_database

__all__ = ["Database", "StorageBusy", "StorageError", "StorageFull", "latest_version", "migrate", "open_database"]
