-- 11: spoiler threads (issue 18). A prompt posted as a spoiler thread (/prompt post
-- spoilers:on, `spoilers: true` in front matter, or the server's default for recent
-- films) keeps that here: what the bot shows of the thread elsewhere, and the exports,
-- hide its text. Prompts posted before this migration were not spoiler threads.
ALTER TABLE prompts ADD COLUMN spoilers INTEGER NOT NULL DEFAULT 0 CHECK (spoilers IN (0, 1));
