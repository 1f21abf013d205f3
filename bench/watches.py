"""Watches over a simulated month: what their checks cost against the watch budget, and how
many rode on the team's own lookups.

A team of 25 makes ~100 lookups each working day (09:00–18:00 UTC, Zipf s = 1.1 over 150
parts: the sample catalog's 15 and 9 clones of each) for a month, while 100 watches on 60
parts (half among the parts the team asks about, half that nobody asks about) are checked
by the scheduler's `check_due` step every simulated 20 minutes. Everything runs in this
process on a simulated clock: the real `LookupService`, `WatchService` and
`WatchScheduler` over the real `NexarClient` against FakeNexar on loopback (latency 0),
SQLite in a temp dir; alerts go to a counting sender instead of Slack.

    .venv/bin/python bench/watches.py [--seed N] [--every SECONDS] [--budget PARTS]
"""

# ruff: noqa: E402  (the repo root goes on sys.path before the project's imports)

from __future__ import annotations

import argparse
import copy
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.adapters.nexar import NexarClient
from bot.adapters.stores import open_store
from bot.domain.commands import AddWatch, Lookup
from bot.domain.models import LineItem, Options
from bot.domain.watch_outcomes import WatchCreated, WatchOffer
from bot.domain.watches import Hit, Watch
from bot.service.lookup import LookupService
from bot.service.quota import WATCH_MEMBER
from bot.service.watch_scheduler import Sent, WatchScheduler
from bot.service.watches import Place, WatchService
from tests.fakes.nexar import FakeNexar, load_sample_parts

NEXAR_ID, NEXAR_SECRET = "bench-client", "bench-secret"
TEAM = "T0BENCH"
USERS = [f"U{i:03d}" for i in range(25)]
STEP = 1200.0
START = datetime(2027, 1, 1, tzinfo=UTC).timestamp()
DAYS = 31


class SimClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def synth_parts(clones: int) -> list[dict[str, Any]]:
    """The sample parts and `clones` copies of each (`LM358DR-B03`), prices nudged."""
    out: list[dict[str, Any]] = []
    for base in load_sample_parts():
        out.append(base)
        for i in range(1, clones + 1):
            part = copy.deepcopy(base)
            part["mpn"] = f"{base['mpn']}-B{i:02d}"
            for seller in part.get("sellers", []):
                for offer in seller.get("offers", []):
                    for point in offer.get("prices", []):
                        point["price"] = round(point["price"] * (1 + 0.003 * i), 6)
                        point["convertedPrice"] = point["price"]
            out.append(part)
    return out


def lookup_times(rng: random.Random, per_day: int) -> list[float]:
    times = []
    for day in range(DAYS):
        if datetime.fromtimestamp(START + day * 86400, UTC).weekday() >= 5:
            continue
        times += [START + day * 86400 + rng.uniform(9 * 3600, 18 * 3600) for _ in range(per_day)]
    return sorted(times)


def shake(fake: FakeNexar, watched: list[str], rng: random.Random) -> None:
    """A day on the market: a seventh of the watched parts sell out at their first seller,
    or get restocked."""
    for part in fake.parts:
        if part["mpn"] in watched and part.get("sellers") and rng.random() < 1 / 7:
            offer = part["sellers"][0]["offers"][0]
            offer["inventoryLevel"] = 0 if offer["inventoryLevel"] > 0 else rng.choice((500, 5000, 50000))


@dataclass
class Result:
    every: int
    budget: int
    lookups: int = 0
    lookup_parts: int = 0
    made_parts: int = 0
    checks: int = 0
    check_parts: int = 0
    rode: int = 0
    alerts: int = 0
    first_period: float | None = None
    paused_at: float | None = None
    seconds: float = 0.0


def run(seed: int, every: int, budget: int, per_day: int) -> Result:
    rng = random.Random(seed)
    parts = synth_parts(9)
    mpns = [p["mpn"] for p in parts]
    rng.shuffle(mpns)
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(mpns))]
    asked, quiet = mpns[:30], mpns[-30:]  # 30 popular parts, 30 from the tail nobody asks about
    watched = asked + quiet
    result = Result(every, budget)
    clock = SimClock(START)
    started = time.monotonic()
    with FakeNexar(parts=parts, client_id=NEXAR_ID, client_secret=NEXAR_SECRET) as fake, tempfile.TemporaryDirectory() as tmp:
        client = NexarClient(NEXAR_ID, NEXAR_SECRET, token_url=fake.token_url, api_url=fake.api_url)
        store = open_store(str(Path(tmp) / "bench.sqlite3"), None)
        service = LookupService(
            client, store, cache_ttl=21600, user_daily=25, team_monthly=5000, watch_monthly=budget, clock=clock
        )
        watches = WatchService(store, service, every=every, max_age=21600, clock=clock)

        def send(workspace: str, watch: Watch, hit: Hit) -> Sent:
            result.alerts += 1
            return Sent(True, channel=watch.channel)

        scheduler = WatchScheduler(watches, store, send, sleep=lambda s: None, monotonic=clock)
        for i in range(100):
            mpn = watched[i % 60]
            below = Decimal(str(round(rng.uniform(0.05, 5.0), 2))) if i % 2 else None
            cmd = AddWatch(LineItem(mpn, rng.choice((10, 100, 1000))), Options(), below)
            offer = watches.offer(TEAM, USERS[i % 25], cmd, Place(f"C{i % 7}"))
            assert isinstance(offer, WatchOffer), offer
            made = watches.start(TEAM, offer.watch)  # its asker pressed "Start watching"
            assert isinstance(made, WatchCreated), made
            result.first_period = made.budget.period
        result.made_parts = fake.matched_parts_billed
        next_step, next_day = START, START + 86400
        for at in [*lookup_times(rng, per_day), START + DAYS * 86400]:
            while next_step <= at:
                if next_step >= next_day:
                    shake(fake, watched, rng)
                    next_day += 86400
                clock.now = next_step
                scheduler.check_due(next_step)
                if result.paused_at is None and watches.budget(TEAM, [], next_step).left == 0:
                    result.paused_at = next_step
                next_step += STEP
            if at >= START + DAYS * 86400:
                break
            clock.now = at
            mpn = rng.choices(mpns, weights)[0]
            service.lookup(TEAM, rng.choice(USERS), Lookup((LineItem(mpn, rng.choice((1, 10, 100))),), Options()))
            result.lookups += 1
        result.lookup_parts = fake.matched_parts_billed - result.made_parts
        result.checks, result.rode = watches.stats.checks, watches.stats.rode
        clock.now = START + DAYS * 86400 - 1  # the month's own counters
        result.check_parts = service.ledger.view(TEAM, WATCH_MEMBER).watch_spent
        result.lookup_parts -= result.check_parts
        client.close()
        store.close()
    result.seconds = time.monotonic() - started
    return result


def report(r: Result) -> None:
    period = "—" if r.first_period is None else f"{r.first_period / 3600:.1f} h"
    paused = "never" if r.paused_at is None else f"day {(r.paused_at - START) / 86400:.1f}"
    naive = 60 * DAYS * 86400 // r.every
    print(f"PARTBOT_WATCH_EVERY={r.every} s, PARTBOT_WATCH_MONTHLY_PARTS={r.budget}  ({r.seconds:.0f} s wall clock)")
    print(f"  team lookups                          {r.lookups:>6,}  ({r.lookup_parts:,} matched parts billed to users)")
    print(f"  watches made (100 on 60 parts)        {100:>6}  ({r.made_parts} matched parts: each watch's first look)")
    stretched = r.first_period is not None and r.first_period > r.every
    note = f"  (stretched from {r.every / 3600:.0f} h to fit the budget)" if stretched else ""
    print(f"  period at the start of the month      {period:>6}{note}")
    print(f"  paid watch checks (parts looked up)   {r.checks:>6,}")
    print(f"  matched parts spent on watches        {r.check_parts:>6,}  of a budget of {r.budget:,}  (paused: {paused})")
    print(f"  checks that rode on team lookups      {r.rode:>6,}  (fresh answers of a watched part, judged for free)")
    print(f"  every part checked every {r.every // 3600} h, unpaid by lookups: {naive:,} matched parts")
    print(f"  alerts                                {r.alerts:>6,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--every", type=int, default=86400)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--per-day", type=int, default=100)
    args = parser.parse_args()
    report(run(args.seed, args.every, args.budget, args.per_day))


if __name__ == "__main__":
    main()
