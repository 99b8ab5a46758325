-- 5: exports. Every export made (its scope, format and options as one key), and the
-- change marks that let `--since-last` export only what changed since the previous one.

-- A counter that exports move on: each export takes the current value as its mark and
-- adds one, so every change committed before it carries a generation <= the mark and
-- every change after it a larger one. Times cannot do this: catch-up stores, after the
-- fact, messages written while the bot was offline, with their own (earlier) times.
CREATE TABLE export_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO export_state (id, generation) VALUES (1, 1);

-- The generation of each comment's latest change: written, edited, deleted, its text
-- removed, an attachment added, reacted to or re-voted, hidden or restored. A comment
-- with no row here has not changed since this migration (generation 0).
CREATE TABLE comment_changes (
    comment_id INTEGER PRIMARY KEY REFERENCES comments (id) ON DELETE CASCADE,
    generation INTEGER NOT NULL
);

CREATE TRIGGER export_comment_created AFTER INSERT ON comments
BEGIN
    INSERT INTO comment_changes (comment_id, generation)
    VALUES (NEW.id, (SELECT generation FROM export_state WHERE id = 1))
    ON CONFLICT (comment_id) DO UPDATE SET generation = excluded.generation;
END;

-- Only real changes count: a replayed event that rewrites the same values does not.
CREATE TRIGGER export_comment_changed
AFTER UPDATE OF seen, author_name, parent_id, content, edited_at, deleted_at ON comments
WHEN NEW.seen IS NOT OLD.seen OR NEW.author_name IS NOT OLD.author_name
     OR NEW.parent_id IS NOT OLD.parent_id OR NEW.content IS NOT OLD.content
     OR NEW.edited_at IS NOT OLD.edited_at OR NEW.deleted_at IS NOT OLD.deleted_at
BEGIN
    INSERT INTO comment_changes (comment_id, generation)
    VALUES (NEW.id, (SELECT generation FROM export_state WHERE id = 1))
    ON CONFLICT (comment_id) DO UPDATE SET generation = excluded.generation;
END;

CREATE TRIGGER export_attachment_added AFTER INSERT ON attachments
BEGIN
    INSERT INTO comment_changes (comment_id, generation)
    VALUES (NEW.comment_id, (SELECT generation FROM export_state WHERE id = 1))
    ON CONFLICT (comment_id) DO UPDATE SET generation = excluded.generation;
END;

CREATE TRIGGER export_reaction_added AFTER INSERT ON reactions
BEGIN
    INSERT INTO comment_changes (comment_id, generation)
    VALUES (NEW.comment_id, (SELECT generation FROM export_state WHERE id = 1))
    ON CONFLICT (comment_id) DO UPDATE SET generation = excluded.generation;
END;

CREATE TRIGGER export_reaction_changed
AFTER UPDATE OF value, added_at, removed_at ON reactions
WHEN NEW.value IS NOT OLD.value OR NEW.added_at IS NOT OLD.added_at
     OR NEW.removed_at IS NOT OLD.removed_at
BEGIN
    INSERT INTO comment_changes (comment_id, generation)
    VALUES (NEW.comment_id, (SELECT generation FROM export_state WHERE id = 1))
    ON CONFLICT (comment_id) DO UPDATE SET generation = excluded.generation;
END;

CREATE TRIGGER export_comment_hidden AFTER INSERT ON hidden_comments
BEGIN
    INSERT INTO comment_changes (comment_id, generation)
    VALUES (NEW.comment_id, (SELECT generation FROM export_state WHERE id = 1))
    ON CONFLICT (comment_id) DO UPDATE SET generation = excluded.generation;
END;

CREATE TRIGGER export_comment_restored AFTER DELETE ON hidden_comments
BEGIN
    INSERT INTO comment_changes (comment_id, generation)
    SELECT OLD.comment_id, (SELECT generation FROM export_state WHERE id = 1)
    WHERE EXISTS (SELECT 1 FROM comments WHERE id = OLD.comment_id)
    ON CONFLICT (comment_id) DO UPDATE SET generation = excluded.generation;
END;

-- One row per export made, from Discord or the command line. ``scope_key`` is the scope
-- (thread or guild and its id), the format and every option that changes what is in
-- the file; the newest row of a key is "the previous export" for `--since-last`.
CREATE TABLE export_history (
    id          INTEGER PRIMARY KEY,
    scope_key   TEXT NOT NULL,
    scope       TEXT NOT NULL CHECK (scope IN ('thread', 'guild')),
    target_id   INTEGER NOT NULL,        -- the thread or the guild
    format      TEXT NOT NULL,
    mark        INTEGER NOT NULL,        -- changes up to this generation are in it or before
    since_mark  INTEGER,                 -- the mark it continued from; NULL: everything
    comments    INTEGER NOT NULL,        -- comments written
    exported_at TEXT NOT NULL,
    exported_by INTEGER                  -- the member who asked; NULL: the command line
);
CREATE INDEX export_history_scope ON export_history (scope_key, id);
