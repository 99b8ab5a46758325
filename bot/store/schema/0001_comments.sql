-- 1: prompts, comments with their versions, attachments and reactions, key/value meta.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE prompts (
    thread_id    INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    channel_id   INTEGER NOT NULL,
    message_id   INTEGER NOT NULL,
    article_slug TEXT NOT NULL,
    article      TEXT NOT NULL,          -- the Article as JSON, as it was when posted
    posted_at    TEXT NOT NULL,
    posted_by    INTEGER
);
CREATE INDEX prompts_guild ON prompts (guild_id, posted_at);

-- One row per message in a prompt thread. A row can exist before its create
-- event arrives (an edit, delete or reaction came first): seen = 0 until then.
CREATE TABLE comments (
    id          INTEGER PRIMARY KEY,
    thread_id   INTEGER NOT NULL REFERENCES prompts (thread_id) ON DELETE CASCADE,
    seen        INTEGER NOT NULL DEFAULT 0,
    author_id   INTEGER,
    author_name TEXT,
    parent_id   INTEGER,
    created_at  TEXT NOT NULL,
    content     TEXT,                    -- the newest text
    content_at  TEXT,                    -- when the newest text was written
    edited_at   TEXT,
    deleted_at  TEXT
);
CREATE INDEX comments_thread ON comments (thread_id, id);
CREATE INDEX comments_parent ON comments (parent_id) WHERE parent_id IS NOT NULL;

-- Every text an edited comment has had, keyed by when it was written: the revisions
-- are derived from it, so an edit arriving before its create still lands in order.
-- A comment never edited has no rows here (its one text is comments.content).
CREATE TABLE versions (
    comment_id INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    at         TEXT NOT NULL,
    content    TEXT NOT NULL,
    PRIMARY KEY (comment_id, at)
) WITHOUT ROWID;

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    comment_id   INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    filename     TEXT NOT NULL,
    url          TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content_type TEXT
);
CREATE INDEX attachments_comment ON attachments (comment_id);

-- Who reacted with what and when; a removed reaction keeps its row with removed_at.
CREATE TABLE reactions (
    comment_id INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    emoji      TEXT NOT NULL,
    value      INTEGER NOT NULL DEFAULT 0,
    added_at   TEXT NOT NULL,
    removed_at TEXT,
    PRIMARY KEY (comment_id, user_id, emoji)
) WITHOUT ROWID;
