"""The Discord adapter: discord.py's side of filmclub, apart from the core under bot/.

- ``cogs/*.py``: the extensions, one feature each (``cogs.support.client.EXTENSIONS``
  loads them all). Each translates Discord objects into calls on the core and its
  services (``bot.services``) and renders the answers: parse options, check on the
  target, call, answer.
- ``cogs/support/``: what the extensions share and what runs them: the Bot class
  (``client``), starting and stopping it (``startup``), the checks, the option
  parsing, the replies, and the Discord side of the services' protocols.
"""
