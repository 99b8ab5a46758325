-- 16: films as things the bot knows (issue 18). One row per film, looked up on Wikidata
-- (and TMDB) or named by a moderator; articles, prompts, watchlist entries and poll
-- answers point at it. Rows made before this keep working by title and year as they did;
-- film_id is filled in as films become known.

CREATE TABLE films (
    id             INTEGER PRIMARY KEY,
    title          TEXT NOT NULL,
    original_title TEXT,
    year           INTEGER,
    release_date   TEXT,                   -- YYYY-MM-DD, when known to the day
    directors      TEXT NOT NULL DEFAULT '[]',  -- JSON list of names
    runtime        INTEGER,                -- minutes
    genres         TEXT NOT NULL DEFAULT '[]',  -- JSON list of names
    poster_url     TEXT,
    wikidata_id    TEXT UNIQUE,
    imdb_id        TEXT UNIQUE,
    tmdb_id        INTEGER UNIQUE,
    film_key       TEXT NOT NULL,          -- the title as bot.watchlist.film_key reads it
    added_at       TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX films_key ON films (film_key, year);

-- The film of an article (by slug: files, pages and feed entries alike): set by a
-- moderator, found by reading the article, or ambiguous with the films offered.
CREATE TABLE article_films (
    slug     TEXT PRIMARY KEY,
    state    TEXT NOT NULL CHECK (state IN ('set', 'found', 'ambiguous', 'none')),
    film_id  INTEGER REFERENCES films (id) ON DELETE SET NULL,
    choices  TEXT NOT NULL DEFAULT '[]',   -- JSON list of film ids offered (ambiguous)
    set_by   INTEGER,                      -- the moderator who set it, if one did
    set_at   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX article_films_film ON article_films (film_id);

-- Answers of the film lookup, by query: a title's films for a month, no film for a day.
CREATE TABLE film_lookups (
    query      TEXT PRIMARY KEY,
    answer     TEXT NOT NULL,              -- JSON list of film records
    fetched_at TEXT NOT NULL
) WITHOUT ROWID;

ALTER TABLE prompts ADD COLUMN film_id INTEGER REFERENCES films (id) ON DELETE SET NULL;
ALTER TABLE watch_entries ADD COLUMN film_id INTEGER REFERENCES films (id) ON DELETE SET NULL;
ALTER TABLE film_poll_answers ADD COLUMN film_id INTEGER REFERENCES films (id)
    ON DELETE SET NULL;
CREATE INDEX prompts_film ON prompts (film_id);
CREATE INDEX watch_entries_film ON watch_entries (film_id);
