"""Recording answered lookups in the user's recent lookups."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from bot.domain.money import format_money
from bot.domain.priced import Row
from bot.domain.recent import RecentLookup
from bot.ports import RecentLookups

log = logging.getLogger(__name__)


def record_answers(store: RecentLookups, workspace: str, user: str, rows: Sequence[Row], now: float, keep: int) -> None:
    """Each priced line (the last `keep` of them) as a recent lookup; a failure only logs."""
    try:
        for row in rows[-keep:]:
            a = row.answer
            entry = RecentLookup(now, a.item.mpn, a.item.quantity)
            if row.part is not None:
                entry = replace(entry, found=row.part.mpn)
                best = row.best
                if best is not None and best.unit_price is not None:
                    entry = replace(entry, price=format_money(best.unit_price), seller=best.seller.name)
            store.add_recent(workspace, user, entry, keep)
    except Exception:
        log.exception("could not record recent lookups")
