-- 9: polls for what the club watches next (issue 17). A poll is a Discord native poll;
-- votes arrive as gateway events and are kept per member, so results survive restarts.

CREATE TABLE film_polls (
    message_id  INTEGER PRIMARY KEY,   -- the poll's message
    guild_id    INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,
    list_name   TEXT,                  -- the watchlist it was built from, if any
    question    TEXT NOT NULL,
    multiple    INTEGER NOT NULL DEFAULT 0,
    created_by  INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    ended_at    TEXT,                  -- set once, by whoever finishes it first
    ended_by    INTEGER,               -- who ended it early; NULL: it ran out
    winner      INTEGER,               -- the winning answer id; NULL: no votes
    outcome     TEXT,                  -- what was done with the winner (queued, missing...)
    queued_slug TEXT                   -- the article queued for the winner, if one was
);
CREATE INDEX film_polls_open ON film_polls (ended_at, expires_at);

CREATE TABLE film_poll_answers (
    message_id   INTEGER NOT NULL REFERENCES film_polls (message_id) ON DELETE CASCADE,
    answer_id    INTEGER NOT NULL,     -- Discord's answer id (1..10)
    title        TEXT NOT NULL,
    year         INTEGER,
    entry_id     INTEGER,              -- the watchlist entry, when it came from one
    suggested_at TEXT NOT NULL,        -- ties go to the film suggested first
    PRIMARY KEY (message_id, answer_id)
);

CREATE TABLE film_poll_votes (
    message_id INTEGER NOT NULL REFERENCES film_polls (message_id) ON DELETE CASCADE,
    answer_id  INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    voted_at   TEXT NOT NULL,
    PRIMARY KEY (message_id, answer_id, user_id)
);
CREATE INDEX film_poll_votes_user ON film_poll_votes (user_id);
