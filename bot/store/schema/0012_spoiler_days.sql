-- 12: the "spoiler days" server setting (issue 18): a prompt about a film released fewer
-- than this many days before it is posted is a spoiler thread unless the moderator or the
-- article says otherwise. NULL: no such default.
ALTER TABLE prompt_settings ADD COLUMN spoiler_days INTEGER
    CHECK (spoiler_days IS NULL OR spoiler_days BETWEEN 1 AND 366);
