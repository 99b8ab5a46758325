-- 15: issue 19, charts. Whether a server's charts name its most active members or show
-- them as "Member 1", "Member 2"... (set with /filmclub settings charts). A table of its
-- own, one row per server that changed it; no row: names are shown.
CREATE TABLE chart_settings (
    guild_id          INTEGER PRIMARY KEY,
    anonymise_members INTEGER NOT NULL DEFAULT 0 CHECK (anonymise_members IN (0, 1)),
    updated_at        TEXT,
    updated_by        INTEGER
);
