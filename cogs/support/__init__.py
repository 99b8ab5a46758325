"""What the extensions share, and what runs them; none of these modules is an extension.

- ``client``: the Bot class (the services it holds, the extensions it loads, the
  command tree that answers errors).
- ``startup``: ``filmclub run``, ``filmclub catch-up`` and the tests' start-up path.
- ``checks``, ``permissions``: who may run a command, judged on its target.
- ``options``: the ``thread`` and ``message`` options (parse, autocomplete, resolve).
- ``ui``: replies, pages, buttons; ``delivery``: posting once despite retries.
- ``auditlog``: the audit log's Discord side (log channels; the audit of commands).
- ``history``: Discord's messages as the core's records (capture and catch-up).
"""
