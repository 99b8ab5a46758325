"""``filmclub db copy``: a whole database into a new one, verified (issue 15).

:mod:`bot.dbcopy.run` copies and verifies; :mod:`bot.dbcopy.sqlite` and
:mod:`bot.dbcopy.postgres` are the two backends' ends; :mod:`bot.dbcopy.base` what they share.
"""
