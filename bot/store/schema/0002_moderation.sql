-- 2: moderation: server settings, hidden comments, the audit log, close timers, and
-- members who asked to be forgotten.

-- One row per server that changed a setting; no row, or NULL, means the default.
CREATE TABLE guild_settings (
    guild_id          INTEGER PRIMARY KEY,
    prompt_channel_id INTEGER,
    moderator_role_id INTEGER,
    vote_emoji        TEXT,              -- JSON {"up": [...], "down": [...]}; NULL: 👍⬆️ / 👎⬇️
    timezone          TEXT,              -- an IANA name; NULL: UTC
    export_access     TEXT CHECK (export_access IN ('moderators', 'everyone')),
    log_channel_id    INTEGER,
    updated_at        TEXT,
    updated_by        INTEGER
);

-- A hidden comment keeps its row in comments; this says who hid it, when and why.
CREATE TABLE hidden_comments (
    comment_id INTEGER PRIMARY KEY REFERENCES comments (id) ON DELETE CASCADE,
    hidden_by  INTEGER NOT NULL,
    hidden_at  TEXT NOT NULL,
    reason     TEXT NOT NULL,
    notice_id  INTEGER                   -- the bot's reply that marks it in the thread
);

-- Every moderator action: who (actor), what (action), on what (thread, comment and a
-- description), why (reason), when (at).
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    thread_id  INTEGER,
    comment_id INTEGER,
    actor_id   INTEGER NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    reason     TEXT,
    at         TEXT NOT NULL
);
CREATE INDEX audit_guild ON audit_log (guild_id, id);
CREATE INDEX audit_thread ON audit_log (thread_id, id) WHERE thread_id IS NOT NULL;

-- /discussion close-after: the thread is locked at due_at (the row goes when it fires).
CREATE TABLE close_timers (
    thread_id INTEGER PRIMARY KEY,
    guild_id  INTEGER NOT NULL,
    due_at    TEXT NOT NULL,
    set_by    INTEGER NOT NULL,
    set_at    TEXT NOT NULL,
    reason    TEXT
);

-- /forget: the comments a member wrote up to forgotten_at keep their rows (replies keep
-- their place) without text, earlier versions or attachments, and the reactions they
-- put on those comments are gone. The triggers below keep it so when an event about
-- that time is replayed (a gateway resume, a catch-up after downtime).
CREATE TABLE forgotten_members (
    user_id      INTEGER PRIMARY KEY,
    forgotten_at TEXT NOT NULL
);
CREATE INDEX comments_author ON comments (author_id) WHERE author_id IS NOT NULL;
CREATE INDEX reactions_user ON reactions (user_id);

CREATE TRIGGER forgotten_comment_insert AFTER INSERT ON comments
WHEN (NEW.content IS NOT '[removed at the member''s request]'
      OR NEW.author_name IS NOT '[removed]')
     AND EXISTS (SELECT 1 FROM forgotten_members f
                 WHERE f.user_id = NEW.author_id AND NEW.created_at <= f.forgotten_at)
BEGIN
    UPDATE comments SET content = '[removed at the member''s request]',
                        author_name = '[removed]'
    WHERE id = NEW.id;
END;

CREATE TRIGGER forgotten_comment_update AFTER UPDATE OF content, author_id, author_name
ON comments
WHEN (NEW.content IS NOT '[removed at the member''s request]'
      OR NEW.author_name IS NOT '[removed]')
     AND EXISTS (SELECT 1 FROM forgotten_members f
                 WHERE f.user_id = NEW.author_id AND NEW.created_at <= f.forgotten_at)
BEGIN
    UPDATE comments SET content = '[removed at the member''s request]',
                        author_name = '[removed]'
    WHERE id = NEW.id;
    DELETE FROM versions WHERE comment_id = NEW.id;
    DELETE FROM attachments WHERE comment_id = NEW.id;
END;

CREATE TRIGGER forgotten_version AFTER INSERT ON versions
WHEN EXISTS (SELECT 1 FROM comments c JOIN forgotten_members f ON f.user_id = c.author_id
             WHERE c.id = NEW.comment_id AND c.created_at <= f.forgotten_at)
BEGIN
    DELETE FROM versions WHERE comment_id = NEW.comment_id AND at = NEW.at;
END;

CREATE TRIGGER forgotten_attachment AFTER INSERT ON attachments
WHEN EXISTS (SELECT 1 FROM comments c JOIN forgotten_members f ON f.user_id = c.author_id
             WHERE c.id = NEW.comment_id AND c.created_at <= f.forgotten_at)
BEGIN
    DELETE FROM attachments WHERE id = NEW.id;
END;

CREATE TRIGGER forgotten_reaction AFTER INSERT ON reactions
WHEN EXISTS (SELECT 1 FROM comments c JOIN forgotten_members f ON f.user_id = NEW.user_id
             WHERE c.id = NEW.comment_id AND c.created_at <= f.forgotten_at)
BEGIN
    DELETE FROM reactions
    WHERE comment_id = NEW.comment_id AND user_id = NEW.user_id AND emoji = NEW.emoji;
END;
