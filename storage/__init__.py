"""Database URL → Tortoise config, connections, and migrations for every loaded app."""

from storage.database import Database, tortoise_config

__all__ = ["Database", "tortoise_config"]
