-- 17 (issue 20): one settings record per server. The film club's settings (who may
-- suggest films, a poll's default length; migration 8's club_settings) and whether charts
-- name members (migration 15's chart_settings) become columns of server_settings; NULL
-- means the default, as for the others (bot.records.server_settings).

ALTER TABLE server_settings ADD COLUMN suggest_access TEXT
    CHECK (suggest_access IN ('everyone', 'moderators'));
ALTER TABLE server_settings ADD COLUMN poll_hours INTEGER
    CHECK (poll_hours BETWEEN 1 AND 768);
ALTER TABLE server_settings ADD COLUMN anonymise_members INTEGER
    CHECK (anonymise_members IN (0, 1));

-- A server that had only club or chart settings gets a row of its own.
INSERT INTO server_settings (guild_id)
SELECT guild_id FROM club_settings UNION SELECT guild_id FROM chart_settings
EXCEPT SELECT guild_id FROM server_settings;

UPDATE server_settings SET
    suggest_access = (SELECT nullif(c.suggest_access, 'everyone') FROM club_settings c
                      WHERE c.guild_id = server_settings.guild_id),
    poll_hours = (SELECT nullif(c.poll_hours, 24) FROM club_settings c
                  WHERE c.guild_id = server_settings.guild_id),
    anonymise_members = (SELECT nullif(a.anonymise_members, 0) FROM chart_settings a
                         WHERE a.guild_id = server_settings.guild_id);

-- The record keeps one "last changed": the chart setting's when it was the later change.
UPDATE server_settings SET
    updated_at = (SELECT a.updated_at FROM chart_settings a
                  WHERE a.guild_id = server_settings.guild_id),
    updated_by = (SELECT a.updated_by FROM chart_settings a
                  WHERE a.guild_id = server_settings.guild_id)
WHERE EXISTS (SELECT 1 FROM chart_settings a
              WHERE a.guild_id = server_settings.guild_id AND a.updated_at IS NOT NULL
                AND (server_settings.updated_at IS NULL
                     OR julianday(a.updated_at) > julianday(server_settings.updated_at)));

DROP TABLE club_settings;
DROP TABLE chart_settings;
