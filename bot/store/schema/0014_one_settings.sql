-- 14 (issue 20): one settings row per server, one time zone per server, and /forget's
-- placeholder read by the triggers from meta (the store writes it there from Python,
-- bot.records.member_data) instead of being spelled in them.

-- Every setting of a server; no row, or NULL, means the default (bot.records.server_settings).
CREATE TABLE server_settings (
    guild_id          INTEGER PRIMARY KEY,
    prompt_channel_id INTEGER,
    moderator_role_id INTEGER,
    vote_emoji        TEXT,              -- JSON {"up": [...], "down": [...]}; NULL: the defaults
    timezone          TEXT,              -- an IANA name; NULL: UTC. The schedule's zone too.
    export_access     TEXT CHECK (export_access IN ('moderators', 'everyone')),
    log_channel_id    INTEGER,
    archive_minutes   INTEGER CHECK (archive_minutes IN (60, 1440, 4320, 10080)),
    mention_role_id   INTEGER,
    default_question  TEXT,
    spoiler_days      INTEGER CHECK (spoiler_days IS NULL OR spoiler_days BETWEEN 1 AND 366),
    updated_at        TEXT,
    updated_by        INTEGER
);

-- The rows of both old tables, server by server; a schedule's time zone wins over the
-- settings' one (migration 14 logs each server where they differed).
INSERT INTO server_settings (guild_id, prompt_channel_id, moderator_role_id, vote_emoji,
                             timezone, export_access, log_channel_id, archive_minutes,
                             mention_role_id, default_question, spoiler_days, updated_at,
                             updated_by)
SELECT ids.guild_id, g.prompt_channel_id, g.moderator_role_id, g.vote_emoji,
       nullif(coalesce(s.timezone, g.timezone), 'UTC'), g.export_access, g.log_channel_id,
       nullif(p.archive_minutes, 10080), p.mention_role_id, p.default_question, p.spoiler_days,
       g.updated_at, g.updated_by
FROM (SELECT guild_id FROM guild_settings UNION SELECT guild_id FROM prompt_settings
      UNION SELECT guild_id FROM schedules) ids
LEFT JOIN guild_settings g ON g.guild_id = ids.guild_id
LEFT JOIN prompt_settings p ON p.guild_id = ids.guild_id
LEFT JOIN schedules s ON s.guild_id = ids.guild_id;

DROP TABLE guild_settings;
DROP TABLE prompt_settings;
ALTER TABLE schedules DROP COLUMN timezone;

-- /forget: the same rules as migrations 2 and 10, with the placeholder text and name
-- read from meta ('forgotten_text', 'forgotten_name').
DROP TRIGGER forgotten_comment_insert;
DROP TRIGGER forgotten_comment_update;
DROP TRIGGER member_name_written;
DROP TRIGGER member_name_rewritten;

CREATE TRIGGER forgotten_comment_insert AFTER INSERT ON comments
WHEN (NEW.content IS NOT (SELECT value FROM meta WHERE key = 'forgotten_text')
      OR NEW.author_name IS NOT (SELECT value FROM meta WHERE key = 'forgotten_name'))
     AND EXISTS (SELECT 1 FROM forgotten_members f
                 WHERE f.user_id = NEW.author_id AND NEW.created_at <= f.forgotten_at)
BEGIN
    UPDATE comments SET content = (SELECT value FROM meta WHERE key = 'forgotten_text'),
                        author_name = (SELECT value FROM meta WHERE key = 'forgotten_name')
    WHERE id = NEW.id;
END;

CREATE TRIGGER forgotten_comment_update AFTER UPDATE OF content, author_id, author_name
ON comments
WHEN (NEW.content IS NOT (SELECT value FROM meta WHERE key = 'forgotten_text')
      OR NEW.author_name IS NOT (SELECT value FROM meta WHERE key = 'forgotten_name'))
     AND EXISTS (SELECT 1 FROM forgotten_members f
                 WHERE f.user_id = NEW.author_id AND NEW.created_at <= f.forgotten_at)
BEGIN
    UPDATE comments SET content = (SELECT value FROM meta WHERE key = 'forgotten_text'),
                        author_name = (SELECT value FROM meta WHERE key = 'forgotten_name')
    WHERE id = NEW.id;
    DELETE FROM versions WHERE comment_id = NEW.id;
    DELETE FROM attachments WHERE comment_id = NEW.id;
END;

CREATE TRIGGER member_name_written AFTER INSERT ON comments
WHEN NEW.seen = 1 AND NEW.author_name IS NOT NULL
     AND NEW.author_name IS NOT (SELECT value FROM meta WHERE key = 'forgotten_name')
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

CREATE TRIGGER member_name_rewritten AFTER UPDATE OF seen, author_name ON comments
WHEN NEW.seen = 1 AND NEW.author_name IS NOT NULL
     AND NEW.author_name IS NOT (SELECT value FROM meta WHERE key = 'forgotten_name')
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
