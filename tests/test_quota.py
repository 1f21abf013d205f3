"""The quota ledger on a real SQLite store: reserve, refuse, settle, periods and views."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapters.stores.sqlite import SQLiteStore
from bot.domain.outcomes import Refusal
from bot.service.quota import QuotaLedger, Reservation, next_day, next_month

NOV_30_2330 = datetime(2026, 11, 30, 23, 30, tzinfo=UTC).timestamp()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(str(tmp_path / "q.sqlite3"))
    yield s
    s.close()


def ledger(store: SQLiteStore, now: list[float], user: int = 5, team: int = 8) -> QuotaLedger:
    return QuotaLedger(store, user, team, clock=lambda: now[0])


def test_reserve_until_the_user_limit_then_refuse(store: SQLiteStore) -> None:
    now = [NOV_30_2330]
    q = ledger(store, now)
    r = q.reserve("T", "U1", 3)
    assert isinstance(r, Reservation) and r.amount == 3
    assert isinstance(q.reserve("T", "U1", 2), Reservation)
    refused = q.reserve("T", "U1", 1)
    assert refused == Refusal("user", 1, 0, datetime(2026, 12, 1, tzinfo=UTC))
    view = q.view("T", "U1")
    assert (view.user_spent, view.user_left, view.team_spent, view.team_left, view.left) == (5, 0, 5, 3, 0)


def test_team_limit_binds_across_users(store: SQLiteStore) -> None:
    now = [NOV_30_2330]
    q = ledger(store, now)
    q.reserve("T", "U1", 5)
    refused = q.reserve("T", "U2", 4)
    assert refused == Refusal("team", 4, 3, datetime(2026, 12, 1, tzinfo=UTC))
    assert isinstance(q.reserve("T", "U2", 3), Reservation)
    assert isinstance(q.reserve("OTHER", "U2", 5), Reservation), "teams do not share a budget"


def test_settle_gives_back_what_was_not_returned(store: SQLiteStore) -> None:
    now = [NOV_30_2330]
    q = ledger(store, now)
    r = q.reserve("T", "U1", 4)
    assert isinstance(r, Reservation)
    q.settle(r, 1)
    assert q.view("T", "U1").user_spent == 1 and q.view("T", "U1").team_spent == 1
    r2 = q.reserve("T", "U1", 2)
    assert isinstance(r2, Reservation)
    q.settle(r2, 2)
    q.settle(r2, 5)  # returning more than reserved gives nothing back and takes nothing more
    assert q.view("T", "U1").user_spent == 3


def test_zero_amount_needs_no_quota(store: SQLiteStore) -> None:
    now = [NOV_30_2330]
    q = ledger(store, now, user=0, team=0)
    free = q.reserve("T", "U1", 0)
    assert isinstance(free, Reservation) and free.amount == 0
    assert isinstance(q.reserve("T", "U1", 1), Refusal)


def test_days_and_months_roll_over_in_utc(store: SQLiteStore) -> None:
    now = [NOV_30_2330]
    q = ledger(store, now, user=2, team=3)
    q.reserve("T", "U1", 2)
    r = q.reserve("T", "U1", 1)
    assert isinstance(r, Refusal) and r.scope == "user"
    now[0] += 3600  # 1 December, 00:30 UTC: a new day and a new month
    assert isinstance(q.reserve("T", "U1", 2), Reservation)
    view = q.view("T", "U1")
    assert (view.user_spent, view.team_spent) == (2, 2)
    assert view.user_resets == datetime(2026, 12, 2, tzinfo=UTC)
    assert view.team_resets == datetime(2027, 1, 1, tzinfo=UTC)


def test_settle_after_midnight_refunds_the_day_it_was_reserved_on(store: SQLiteStore) -> None:
    now = [NOV_30_2330]
    q = ledger(store, now)
    r = q.reserve("T", "U1", 3)
    assert isinstance(r, Reservation)
    now[0] += 3600
    q.settle(r, 0)
    now[0] -= 3600
    assert q.view("T", "U1").user_spent == 0


def test_period_boundaries() -> None:
    assert next_day(datetime(2026, 12, 31, 23, 59, 59, 999, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)
    assert next_month(datetime(2026, 11, 30, 23, 59, 59, 999, tzinfo=UTC)) == datetime(2026, 12, 1, tzinfo=UTC)
    assert next_month(datetime(2026, 12, 15, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)
    assert next_month(datetime(2026, 1, 31, 12, tzinfo=UTC)) == datetime(2026, 2, 1, tzinfo=UTC)
    assert next_month(datetime(2028, 2, 29, tzinfo=UTC)) == datetime(2028, 3, 1, tzinfo=UTC)


def test_top_spenders_today_and_this_month(store: SQLiteStore) -> None:
    now = [NOV_30_2330]
    q = ledger(store, now, user=10, team=100)
    q.reserve("T", "U1", 2)
    q.reserve("T", "U2", 5)
    now[0] += 3600  # next day, next month
    q.reserve("T", "U3", 1)
    today, month = q.top_spenders("T")
    assert today == [("U3", 1)]
    assert month == [("U3", 1)]
    now[0] -= 3600
    today, month = q.top_spenders("T")
    assert today == [("U2", 5), ("U1", 2)]
    assert month == [("U2", 5), ("U1", 2)], "the team's own counter is not a spender"
    assert q.top_spenders("T", n=2) == ([("U2", 5), ("U1", 2)], [("U2", 5), ("U1", 2)])
    assert q.top_spenders("T", n=1) == ([("U2", 5)], [("U2", 5)])


def test_settle_billed_takes_what_a_query_without_limit_returned_past_the_limit(store: SQLiteStore) -> None:
    now = [NOV_30_2330]
    q = ledger(store, now)
    r = q.reserve("T", "U1", 2)
    assert isinstance(r, Reservation)
    q.settle_billed(r, 5)
    view = q.view("T", "U1")
    assert view.user_spent == 5 and view.team_spent == 5
    r2 = q.reserve("T", "U1", 0)
    assert isinstance(r2, Reservation)
    q.settle_billed(r2, 1)
    assert q.view("T", "U1").user_spent == 6
