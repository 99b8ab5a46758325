"""The services: what filmclub does, whatever platform it runs on.

Each service holds one feature's logic and decisions (what to post when, when a
thread closes, what a hidden comment leaves behind, when catch-up runs, which
commands the audit log keeps) and reaches the chat platform only through the
small protocols of :mod:`bot.services.platform`. The Discord adapter (``cogs/``)
implements them; a Slack adapter would implement the same ones. Services stand on
the store and the core records, never the other way round, and import no
``discord``. Loops read the time from a ``clock`` callable, so tests move time
instead of waiting for it.

- :mod:`bot.services.audit`: the audit trail, and which completed commands it records.
- :mod:`bot.services.scheduler`: the prompt scheduler and feed loops, and publishing.
- :mod:`bot.services.timers`: close timers that survive restarts.
- :mod:`bot.services.hiding`: hiding and restoring comments, with their audit records.
- :mod:`bot.services.resync`: when catch-up runs (``bot.catchup`` is how it reconciles).
"""
