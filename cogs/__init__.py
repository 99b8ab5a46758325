"""Discord features, one extension each; they translate Discord objects into core calls."""
