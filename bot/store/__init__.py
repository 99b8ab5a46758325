"""The store: an interface (``Store``) and its embedded SQLite implementation."""

from bot.store.base import Store, ThreadCounts
from bot.store.sqlite import DEFAULT_VOTE_VALUES, SQLiteStore, open_store, vote_key

__all__ = ["DEFAULT_VOTE_VALUES", "SQLiteStore", "Store", "ThreadCounts", "open_store", "vote_key"]
