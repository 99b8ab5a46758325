-- 4: catch-up after downtime. Why a comment is a tombstone, and what the bot last
-- knew of each prompt thread on Discord.

-- NULL for a delete seen live; otherwise the reason, e.g. "deleted while the bot was
-- offline" for a message that catch-up found gone from Discord.
ALTER TABLE comments ADD COLUMN deleted_reason TEXT;

CREATE TABLE thread_status (
    thread_id    INTEGER PRIMARY KEY REFERENCES prompts (thread_id) ON DELETE CASCADE,
    archived_at  TEXT,                -- when Discord archived it; NULL while open
    gone_at      TEXT,                -- when it was found deleted on Discord
    no_access_at TEXT,                -- when Discord last refused the bot access to it
    caught_up_at TEXT                 -- when its last complete catch-up started
);
