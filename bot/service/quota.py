"""Quotas in matched parts: per user per UTC day, per workspace per calendar month, and
(when set) the Nexar plan's month across every workspace.

A lookup reserves its worst case (the sum of its `limit`s) before Nexar is called and
settles to what Nexar actually returned afterwards; a failure refunds everything.

A BOM priced from the team budget (`TeamBudget`) skips the user's day: it spends the
workspace's month and, unless an admin's, the user's monthly BOM allowance (its own
bucket), all in the same atomic reservation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.domain.outcomes import QuotaView, Refusal
from bot.ports import Bucket, Ledger

TEAM_MEMBER = "*team*"
WATCH_MEMBER = "*watches*"
"""Who watch checks are billed as: the workspace's month, capped by the watch budget,
never a person's day."""
PLAN = Bucket("*plan*", "", "*plan*")
"""The plan's bucket (its period filled in per month): not a Slack id, so no workspace's,
and kept when a workspace is forgotten (Nexar billed its parts all the same)."""
_BUCKET_TTL = 40 * 86400
_NO_LIMIT = 2**53


@dataclass(frozen=True)
class TeamBudget:
    """Spend from the team's month instead of the user's day. `capped`: the user's monthly
    BOM allowance applies (not for admins)."""

    capped: bool = True


@dataclass(frozen=True)
class Reservation:
    buckets: tuple[Bucket, ...]
    amount: int


def _day(now: datetime) -> str:
    return f"day:{now:%Y-%m-%d}"


def _month(now: datetime) -> str:
    return f"month:{now:%Y-%m}"


def _bom_month(now: datetime) -> str:
    return f"bom-month:{now:%Y-%m}"


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
        user_bom_monthly: int = 0,
        *,
        watch_monthly: int = 0,
        plan_monthly: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store, self.user_daily, self.team_monthly, self.clock = store, user_daily, team_monthly, clock
        self.user_bom_monthly, self.watch_monthly, self.plan_monthly = user_bom_monthly, watch_monthly, plan_monthly

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def _buckets(self, workspace: str, user: str, now: datetime) -> tuple[tuple[Bucket, int], ...]:
        """The user's day, the workspace's month, and the user's month (for the admins'
        view; it can never bind before the workspace's month does). Watch checks: the
        workspace's month and the month's watch budget, never a person's day."""
        if user == WATCH_MEMBER:
            return (
                (Bucket(workspace, _month(now), TEAM_MEMBER), self.team_monthly),
                (Bucket(workspace, _month(now), WATCH_MEMBER), self.watch_monthly),
            )
        return (
            (Bucket(workspace, _day(now), user), self.user_daily),
            (Bucket(workspace, _month(now), TEAM_MEMBER), self.team_monthly),
            (Bucket(workspace, _month(now), user), self.team_monthly),
        )

    def _team_buckets(self, workspace: str, user: str, now: datetime, budget: TeamBudget) -> tuple[tuple[Bucket, int], ...]:
        """The workspace's month, the user's month, and the user's BOM allowance when capped."""
        _, team, month = self._buckets(workspace, user, now)
        return (team, month) + (((self._bom_bucket(workspace, user, now), self.user_bom_monthly),) if budget.capped else ())

    def _scoped(
        self, workspace: str, user: str, now: datetime, team_budget: TeamBudget | None
    ) -> tuple[tuple[tuple[Bucket, int], ...], tuple[str, ...]]:
        """The buckets a reservation fills, with the scope each one refuses as; the plan's
        month across all workspaces last, when PARTBOT_PLAN_MONTHLY_PARTS is set."""
        scopes: tuple[str, ...]
        if user == WATCH_MEMBER:
            buckets, scopes = self._buckets(workspace, user, now), ("team", "watches")
        elif team_budget is None:
            buckets, scopes = self._buckets(workspace, user, now), ("user", "team", "team")
        else:
            buckets = self._team_buckets(workspace, user, now, team_budget)
            scopes = ("team", "team", "bom")[: len(buckets)]
        if self.plan_monthly is not None:
            buckets, scopes = (*buckets, (PLAN._replace(period=_month(now)), self.plan_monthly)), (*scopes, "plan")
        return buckets, scopes

    @staticmethod
    def _bom_bucket(workspace: str, user: str, now: datetime) -> Bucket:
        return Bucket(workspace, _bom_month(now), user)

    def reserve(self, workspace: str, user: str, amount: int, team_budget: TeamBudget | None = None) -> Reservation | Refusal:
        now = self._now()
        buckets, scopes = self._scoped(workspace, user, now, team_budget)
        if amount <= 0:
            return Reservation(tuple(b for b, _ in buckets), 0)
        failed = self.store.reserve(buckets, amount, _BUCKET_TTL)
        if failed is None:
            return Reservation(tuple(b for b, _ in buckets), amount)
        view = self.view(workspace, user)
        scope = scopes[failed]
        if scope == "user":
            return Refusal("user", amount, view.user_left, next_day(now))
        if scope == "watches":
            return Refusal("watches", amount, view.watch_left, next_month(now))
        if scope == "bom":
            return Refusal("bom", amount, self.bom_left(workspace, user), next_month(now))
        if scope == "plan":
            plan_bucket, limit = buckets[failed]
            return Refusal("plan", amount, max(limit - self.store.spent(plan_bucket), 0), next_month(now))
        return Refusal("team", amount, view.team_left, next_month(now))

    def bom_left(self, workspace: str, user: str) -> int:
        """What the user's BOMs may still spend from the team budget this month."""
        spent = self.store.spent(self._bom_bucket(workspace, user, self._now()))
        return max(self.user_bom_monthly - spent, 0)

    def settle(self, reservation: Reservation, actual: int) -> None:
        """Keep `actual` of the reservation and give back the rest."""
        unused = reservation.amount - max(actual, 0)
        if unused > 0:
            self.store.release(reservation.buckets, unused)

    def settle_billed(self, reservation: Reservation, billed: int) -> None:
        """Settle to `billed` parts even past the reservation (and the limits): for a query
        without a limit (`similarParts`), every part returned was billed."""
        if billed > reservation.amount:
            self.store.reserve([(b, _NO_LIMIT) for b in reservation.buckets], billed - reservation.amount, _BUCKET_TTL)
        else:
            self.settle(reservation, billed)

    def view(self, workspace: str, user: str) -> QuotaView:
        now = self._now()
        user_bucket, team_bucket = Bucket(workspace, _day(now), user), Bucket(workspace, _month(now), TEAM_MEMBER)
        watch_spent = self.store.spent(Bucket(workspace, _month(now), WATCH_MEMBER)) if self.watch_monthly else 0
        return QuotaView(
            user_spent=self.store.spent(user_bucket),
            user_limit=self.user_daily,
            team_spent=self.store.spent(team_bucket),
            team_limit=self.team_monthly,
            user_resets=next_day(now),
            team_resets=next_month(now),
            watch_spent=watch_spent,
            watch_limit=self.watch_monthly,
        )

    def plan_use(self) -> tuple[int, int] | None:
        """(matched parts spent this month across all workspaces, the plan's cap), or None without a cap."""
        if self.plan_monthly is None:
            return None
        return self.store.spent(PLAN._replace(period=_month(self._now()))), self.plan_monthly

    def top_spenders(self, workspace: str, n: int = 10) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        """(today's top spenders, this month's), each as (user, matched parts)."""
        now = self._now()
        month = [(m, s) for m, s in self.store.top(workspace, _month(now), n + 2) if m not in (TEAM_MEMBER, WATCH_MEMBER)]
        return self.store.top(workspace, _day(now), n), month[:n]
