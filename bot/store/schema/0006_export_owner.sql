-- 6: `since_last` markers belong to whoever asked for them.
--
-- Until now the previous export for `since_last` was the newest export with the same
-- scope and options, whoever made it: a member's plain /export swallowed the
-- moderator's next `since_last`. It is now the newest export with the same scope and
-- options *by the same person*: `exported_by`, the Discord user who asked (NULL: the
-- command line, which is the host's own marker). Every row already names who asked,
-- so the rows stay as they are; the lookup gets its index.
DROP INDEX export_history_scope;
CREATE INDEX export_history_owner ON export_history (scope_key, exported_by, id);
