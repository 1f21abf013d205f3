"""When a watched part is checked next: every `PARTBOT_WATCH_EVERY` seconds, stretched so
that the rest of the month's checks fit the watch budget that is left. No I/O."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from bot.domain.watches import Watch


def month_end(now: float) -> float:
    """When this calendar month (UTC) ends, as a timestamp: when the watch budget resets."""
    moment = datetime.fromtimestamp(now, UTC)
    first = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first + timedelta(days=32)).replace(day=1).timestamp()


def period(every: int, parts: int, left: int, now: float) -> float | None:
    """Seconds between checks of each of `parts` watched parts, when `left` matched parts of
    the month's watch budget remain: at least `every`, longer when checking every part that
    often until the month ends would cost more than is left. None: the budget is spent."""
    if left <= 0:
        return None
    return max(float(every), (month_end(now) - now) * max(parts, 1) / left)


def next_check(watches: Iterable[Watch], every: float) -> float:
    """When the part these watches share is due: `every` after the last answer any of them
    was judged by (any lookup's), or when a failed check may be tried again."""
    watches = list(watches)
    checked = [w.last_checked for w in watches if w.last_checked is not None]
    due = max(checked) + every if checked else 0.0
    return max([due, *(w.retry_at for w in watches)])
