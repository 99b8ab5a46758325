"""The store: an interface (``Store``), its embedded SQLite implementation, and (issue 15)
PostgreSQL's, picked by ``bot.store.factory`` from FILMCLUB_DB or ``--db``."""

from bot.records.server_settings import DEFAULT_VOTE_VALUES, vote_key
from bot.store.base import Store, ThreadCounts
from bot.store.factory import make_store, open_store
from bot.store.sqlite import SQLiteStore

__all__ = ["DEFAULT_VOTE_VALUES", "SQLiteStore", "Store", "ThreadCounts", "make_store",
           "open_store", "vote_key"]
