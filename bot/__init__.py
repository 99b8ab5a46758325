"""filmclub: film discussions on Discord, kept as comments and votes, exported as files."""

__version__ = "0.1.0"
