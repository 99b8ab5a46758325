-- 7: the channel an audited action was about, when it was a channel rather than a thread.
--
-- /prompt post, preview, a queued or scheduled prompt's channel: such entries name a
-- channel (and an article) but no thread. /discussion log shows each reader only the
-- entries about threads and channels they can see (issue 13), so the entry keeps its
-- channel. NULL: about a thread (thread_id says which) or the whole server.
ALTER TABLE audit_log ADD COLUMN channel_id INTEGER;
