-- 10: names, as the bot last saw them: servers, their channels and prompt threads, and
-- the members who write or react in prompt threads. Exports made anywhere (the command
-- line has no Discord to ask) name people and places as Discord shows them.

-- A server (kind 'guild'), one of its channels ('channel') or a prompt thread ('thread').
-- seen_at is when Discord showed this name: an older sighting never replaces a newer one.
CREATE TABLE place_names (
    id       INTEGER PRIMARY KEY,
    kind     TEXT NOT NULL CHECK (kind IN ('guild', 'channel', 'thread')),
    guild_id INTEGER NOT NULL,       -- the server (a server's own row: its id)
    name     TEXT NOT NULL,
    seen_at  TEXT NOT NULL
);
CREATE INDEX place_names_guild ON place_names (guild_id);

-- A member's display name in one server (their nickname there, else their own name).
CREATE TABLE member_names (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    name     TEXT NOT NULL,
    seen_at  TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;
CREATE INDEX member_names_user ON member_names (user_id);

-- Every comment carries its author's name as it was written: the newest one is the
-- member's name. A trigger keeps it, so the gateway's hot path runs no statement more.
-- A member who asked to be forgotten is not named again by a replay of their old messages.
CREATE TRIGGER member_name_written AFTER INSERT ON comments
WHEN NEW.seen = 1 AND NEW.author_name IS NOT NULL AND NEW.author_name IS NOT '[removed]'
     AND NOT EXISTS (SELECT 1 FROM forgotten_members f
                     WHERE f.user_id = NEW.author_id AND NEW.created_at <= f.forgotten_at)
BEGIN
    INSERT INTO member_names (guild_id, user_id, name, seen_at)
    SELECT p.guild_id, NEW.author_id, NEW.author_name, NEW.created_at
    FROM prompts p WHERE p.thread_id = NEW.thread_id
    ON CONFLICT (guild_id, user_id) DO UPDATE SET name = excluded.name,
                                                  seen_at = excluded.seen_at
    WHERE excluded.seen_at >= member_names.seen_at;
END;

-- The same when a create fills in a row that an edit, delete or reaction made first.
CREATE TRIGGER member_name_rewritten AFTER UPDATE OF seen, author_name ON comments
WHEN NEW.seen = 1 AND NEW.author_name IS NOT NULL AND NEW.author_name IS NOT '[removed]'
     AND (OLD.seen = 0 OR NEW.author_name IS NOT OLD.author_name)
     AND NOT EXISTS (SELECT 1 FROM forgotten_members f
                     WHERE f.user_id = NEW.author_id AND NEW.created_at <= f.forgotten_at)
BEGIN
    INSERT INTO member_names (guild_id, user_id, name, seen_at)
    SELECT p.guild_id, NEW.author_id, NEW.author_name, NEW.created_at
    FROM prompts p WHERE p.thread_id = NEW.thread_id
    ON CONFLICT (guild_id, user_id) DO UPDATE SET name = excluded.name,
                                                  seen_at = excluded.seen_at
    WHERE excluded.seen_at >= member_names.seen_at;
END;

-- Names of members who wrote before this migration, from their newest comment.
INSERT INTO member_names (guild_id, user_id, name, seen_at)
SELECT p.guild_id, c.author_id, c.author_name, max(c.created_at)
FROM comments c JOIN prompts p ON p.thread_id = c.thread_id
WHERE c.seen = 1 AND c.author_name IS NOT NULL AND c.author_name IS NOT '[removed]'
GROUP BY p.guild_id, c.author_id;

-- `--since-last` for a server: a prompt posted since the last export is a change too,
-- even before anyone comments. The export generation current when it was recorded.
CREATE TABLE prompt_changes (
    thread_id  INTEGER PRIMARY KEY REFERENCES prompts (thread_id) ON DELETE CASCADE,
    generation INTEGER NOT NULL
);

CREATE TRIGGER export_prompt_posted AFTER INSERT ON prompts
BEGIN
    INSERT INTO prompt_changes (thread_id, generation)
    VALUES (NEW.thread_id, (SELECT generation FROM export_state WHERE id = 1))
    ON CONFLICT (thread_id) DO UPDATE SET generation = excluded.generation;
END;
