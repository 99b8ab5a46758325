-- 3: the prompt library. Articles read from web pages and feeds, the keys that make
-- two arrivals one article, feeds and the entries they have shown, each server's
-- prompt queue, prompt settings and schedule, and the keys of what it has posted.

-- Articles added by URL, saved HTML file or feed (files stay in the library folder).
CREATE TABLE articles (
    slug     TEXT PRIMARY KEY,
    title    TEXT NOT NULL,
    article  TEXT NOT NULL,                  -- the Article as JSON
    origin   TEXT NOT NULL CHECK (origin IN ('page', 'html-file', 'feed')),
    source   TEXT NOT NULL,                  -- the URL or file it was read from
    feed_id  INTEGER REFERENCES feeds (id) ON DELETE SET NULL,
    added_at TEXT NOT NULL
);
CREATE INDEX articles_added ON articles (added_at);

-- What identifies a stored article: 'url:<canonical>', 'entry:<feed entry id>', 'hash:<body>'.
CREATE TABLE article_keys (
    key  TEXT PRIMARY KEY,
    slug TEXT NOT NULL REFERENCES articles (slug) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX article_keys_slug ON article_keys (slug);

-- A feed bound to a channel. guild_id stays NULL until the bot sees the channel
-- (feeds added from the command line, which has no Discord connection).
CREATE TABLE feeds (
    id               INTEGER PRIMARY KEY,
    url              TEXT NOT NULL,
    channel_id       INTEGER NOT NULL,
    guild_id         INTEGER,
    mode             TEXT NOT NULL DEFAULT 'queue' CHECK (mode IN ('queue', 'post')),
    interval_minutes INTEGER NOT NULL CHECK (interval_minutes >= 1),
    etag             TEXT,
    last_modified    TEXT,
    polled_at        TEXT,
    last_error       TEXT,
    added_at         TEXT NOT NULL,
    UNIQUE (url, channel_id)
);

-- Every entry a feed has shown, new or not: an entry is turned into an article once.
CREATE TABLE feed_entries (
    feed_id INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    key     TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (feed_id, key)
) WITHOUT ROWID;

-- Each server's queue of articles waiting for a slot (or, post_now, for the next tick).
CREATE TABLE queue (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER,
    channel_id INTEGER,                      -- where to post; NULL: the schedule's channel
    slug       TEXT NOT NULL,
    position   INTEGER NOT NULL,
    question   TEXT,
    post_now   INTEGER NOT NULL DEFAULT 0,
    feed_id    INTEGER REFERENCES feeds (id) ON DELETE SET NULL,
    added_by   INTEGER,
    added_at   TEXT NOT NULL
);
CREATE INDEX queue_guild ON queue (guild_id, position);

-- What a server has posted, by every key of the article: one article, one prompt per server.
CREATE TABLE posted_keys (
    guild_id  INTEGER NOT NULL,
    key       TEXT NOT NULL,
    thread_id INTEGER NOT NULL REFERENCES prompts (thread_id) ON DELETE CASCADE,
    PRIMARY KEY (guild_id, key)
) WITHOUT ROWID;
INSERT INTO posted_keys (guild_id, key, thread_id)
SELECT guild_id, 'slug:' || article_slug, max(thread_id) FROM prompts
GROUP BY guild_id, article_slug;

CREATE TABLE prompt_settings (
    guild_id         INTEGER PRIMARY KEY,
    archive_minutes  INTEGER NOT NULL DEFAULT 10080
                     CHECK (archive_minutes IN (60, 1440, 4320, 10080)),
    mention_role_id  INTEGER,
    default_question TEXT                  -- (the log channel is in guild_settings, issue 5)
);

CREATE TABLE schedules (
    guild_id       INTEGER PRIMARY KEY,
    channel_id     INTEGER NOT NULL,
    cadence        TEXT NOT NULL CHECK (cadence IN ('daily', 'weekly')),
    weekdays       TEXT NOT NULL,          -- day numbers, Monday = 0, comma-separated; '' = all
    at             TEXT NOT NULL,          -- HH:MM, wall-clock time in timezone
    timezone       TEXT NOT NULL,          -- IANA name
    set_at         TEXT NOT NULL,
    last_slot      TEXT,                   -- the latest slot handled
    skip_slot      TEXT,
    empty_notified INTEGER NOT NULL DEFAULT 0
);
