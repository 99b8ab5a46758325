-- 11: which prompts carry the "Rate the film" control (issue 17). Prompts posted before
-- the control existed get it added by the bot's catch-up, once each; a row here says the
-- prompt's message was seen with the control (or is gone), so it is not looked at again.
CREATE TABLE rating_controls (
    thread_id  INTEGER PRIMARY KEY REFERENCES prompts (thread_id) ON DELETE CASCADE,
    checked_at TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('added', 'present', 'gone'))
);
