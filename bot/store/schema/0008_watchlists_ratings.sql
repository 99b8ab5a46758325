-- 8: the film club's own loop (issue 17): watchlists per server, and ratings of films.

-- The club's own settings of a server: who may suggest films, a poll's default length.
CREATE TABLE club_settings (
    guild_id       INTEGER PRIMARY KEY,
    suggest_access TEXT NOT NULL DEFAULT 'everyone'
                   CHECK (suggest_access IN ('everyone', 'moderators')),
    poll_hours     INTEGER NOT NULL DEFAULT 24 CHECK (poll_hours BETWEEN 1 AND 768)
);

-- Named lists of a server ("Halloween", "Criterion Sundays"); one per name, any case.
CREATE TABLE watchlists (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    name       TEXT NOT NULL,
    name_key   TEXT NOT NULL,          -- the name case-folded, spaces made one
    created_at TEXT NOT NULL,
    created_by INTEGER,
    UNIQUE (guild_id, name_key)
);

-- A film on a list. ``film_key`` is the title as bot.watchlist.film_key reads it; two rows
-- of a list never share a key and a year (nor a key where one has no year): the store
-- matches before it inserts, in the writer's transaction.
CREATE TABLE watch_entries (
    id                INTEGER PRIMARY KEY,
    list_id           INTEGER NOT NULL REFERENCES watchlists (id) ON DELETE CASCADE,
    title             TEXT NOT NULL,
    year              INTEGER,
    film_key          TEXT NOT NULL,
    note              TEXT,
    suggested_by      INTEGER NOT NULL,
    suggested_by_name TEXT NOT NULL,
    suggested_at      TEXT NOT NULL,
    watched_at        TEXT,
    watched_thread_id INTEGER            -- the prompt that marked it watched, if one did
);
CREATE INDEX watch_entries_key ON watch_entries (list_id, film_key);
CREATE INDEX watch_entries_by ON watch_entries (suggested_by);

-- One rating per member per prompt, in half stars (1 = half a star .. 10 = five stars).
CREATE TABLE ratings (
    thread_id  INTEGER NOT NULL REFERENCES prompts (thread_id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    half_stars INTEGER NOT NULL CHECK (half_stars BETWEEN 1 AND 10),
    rated_at   TEXT NOT NULL,
    PRIMARY KEY (thread_id, user_id)
);
CREATE INDEX ratings_by_user ON ratings (user_id);
