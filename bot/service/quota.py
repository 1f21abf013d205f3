"""Quotas in matched parts: per user per UTC day, per workspace per calendar month, and
(when set) the Nexar plan's month across every workspace.

A lookup reserves its worst case (the sum of its `limit`s) before Nexar is called and
settles to what Nexar actually returned afterwards; a failure refunds everything.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.domain.outcomes import QuotaView, Refusal
from bot.ports import Bucket, Ledger

TEAM_MEMBER = "*team*"
PLAN = Bucket("*plan*", "", "*plan*")
"""The plan's bucket (its period filled in per month): not a Slack id, so no workspace's,
and kept when a workspace is forgotten (Nexar billed its parts all the same)."""
_BUCKET_TTL = 40 * 86400


@dataclass(frozen=True)
class Reservation:
    buckets: tuple[Bucket, ...]
    amount: int


def _day(now: datetime) -> str:
    return f"day:{now:%Y-%m-%d}"


def _month(now: datetime) -> str:
    return f"month:{now:%Y-%m}"


def next_day(now: datetime) -> datetime:
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def next_month(now: datetime) -> datetime:
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first + timedelta(days=32)).replace(day=1)


class QuotaLedger:
    """Budgets of one workspace at a time: every method takes the workspace's key
    (`Workspace.key`) and its user."""

    def __init__(
        self,
        store: Ledger,
        user_daily: int,
        team_monthly: int,
        *,
        plan_monthly: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store, self.user_daily, self.team_monthly, self.clock = store, user_daily, team_monthly, clock
        self.plan_monthly = plan_monthly

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def _buckets(self, workspace: str, user: str, now: datetime) -> tuple[tuple[Bucket, int], ...]:
        """The user's day, the workspace's month, the user's month (for the admins'
        view; it can never bind before the workspace's month does), and the plan's month
        across all workspaces when PARTBOT_PLAN_MONTHLY_PARTS is set."""
        buckets = (
            (Bucket(workspace, _day(now), user), self.user_daily),
            (Bucket(workspace, _month(now), TEAM_MEMBER), self.team_monthly),
            (Bucket(workspace, _month(now), user), self.team_monthly),
        )
        if self.plan_monthly is None:
            return buckets
        return (*buckets, (PLAN._replace(period=_month(now)), self.plan_monthly))

    def reserve(self, workspace: str, user: str, amount: int) -> Reservation | Refusal:
        now = self._now()
        buckets = self._buckets(workspace, user, now)
        if amount <= 0:
            return Reservation(tuple(b for b, _ in buckets), 0)
        failed = self.store.reserve(buckets, amount, _BUCKET_TTL)
        if failed is None:
            return Reservation(tuple(b for b, _ in buckets), amount)
        view = self.view(workspace, user)
        if failed == 0:
            return Refusal("user", amount, view.user_left, next_day(now))
        if failed == 3:
            plan_bucket, limit = buckets[3]
            return Refusal("plan", amount, max(limit - self.store.spent(plan_bucket), 0), next_month(now))
        return Refusal("team", amount, view.team_left, next_month(now))

    def settle(self, reservation: Reservation, actual: int) -> None:
        """Keep `actual` of the reservation and give back the rest."""
        unused = reservation.amount - max(actual, 0)
        if unused > 0:
            self.store.release(reservation.buckets, unused)

    def view(self, workspace: str, user: str) -> QuotaView:
        now = self._now()
        (user_bucket, _), (team_bucket, _), *_ = self._buckets(workspace, user, now)
        return QuotaView(
            user_spent=self.store.spent(user_bucket),
            user_limit=self.user_daily,
            team_spent=self.store.spent(team_bucket),
            team_limit=self.team_monthly,
            user_resets=next_day(now),
            team_resets=next_month(now),
        )

    def plan_use(self) -> tuple[int, int] | None:
        """(matched parts spent this month across all workspaces, the plan's cap), or None without a cap."""
        if self.plan_monthly is None:
            return None
        return self.store.spent(PLAN._replace(period=_month(self._now()))), self.plan_monthly

    def top_spenders(self, workspace: str, n: int = 10) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        """(today's top spenders, this month's), each as (user, matched parts)."""
        now = self._now()
        month = [(m, s) for m, s in self.store.top(workspace, _month(now), n + 1) if m != TEAM_MEMBER]
        return self.store.top(workspace, _day(now), n), month[:n]
