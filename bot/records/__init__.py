"""The ground floor: the records (plain dataclasses) and defaults that the store keeps and
every service reads. Nothing here imports a service, the store or Discord; the store
(``bot/store/``) builds on these and on ``bot.models`` alone (``tests/bot/test_layers.py``).
"""
