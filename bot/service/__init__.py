"""Lookups, quotas, the answer cache and single-flight, behind the small ports in `bot.ports`."""
