"""Section 1, replay: a simulated day of lookups through LookupService + NexarClient + SQLite."""

from __future__ import annotations

import math
import random
import shutil
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import NAIVE_QUERY, TEAM, WINDOW, item_text, ms, parse_lookup, pct, progress, synth_parts, table
from bot.adapters.nexar import NexarClient
from bot.adapters.stores import open_store
from bot.domain.commands import Lookup
from bot.domain.models import LineItem, LookupKey, Part, SearchResult
from bot.domain.outcomes import OverQuota
from bot.ports import SourceError
from bot.service.lookup import LookupService
from bot.service.singleflight import SingleFlight
from tests.conftest import NEXAR_ID, NEXAR_SECRET
from tests.fakes.nexar import FakeNexar
from tests.shared import has_nexar_schema, nexar_schema_errors

# --- 1. replay -----------------------------------------------------------------------------------

HOURLY = (0.2, 0.1, 0.1, 0.1, 0.2, 0.3, 0.6, 1.5, 3.5, 5, 5, 4.5, 2.5, 4.5, 5, 5, 4, 3, 1.5, 1, 0.8, 0.6, 0.4, 0.3)
"""Relative lookup intensity per UTC hour: a team working days with some evening and night use."""


@dataclass(frozen=True)
class Event:
    at: float  # seconds into the simulated day
    user: str
    text: str
    lookup: Lookup


def zipf_weights(n: int, s: float) -> list[float]:
    return [1 / (rank**s) for rank in range(1, n + 1)]


def make_workload(rng: random.Random, mpns: Sequence[str], n: int, users: int) -> list[Event]:
    """`n` lookups: times from an inhomogeneous Poisson process over one day (HOURLY), conditioned on
    `n` events; MPN popularity Zipf(1.1) over `mpns` in random rank order; users mildly skewed; 20 % with
    a quantity; 5 % multi-part questions of 2-4 MPNs."""
    ranked = list(mpns)
    rng.shuffle(ranked)
    weights = zipf_weights(len(ranked), 1.1)
    user_ids = [f"U{i:03d}" for i in range(users)]
    user_weights = [1 / (i + 1) ** 0.6 for i in range(users)]
    hours = rng.choices(range(24), weights=HOURLY, k=n)
    times = sorted(h * 3600 + rng.random() * 3600 for h in hours)
    events: list[Event] = []
    for t in times:
        if rng.random() < 0.05:
            picked: list[str] = []
            want = rng.randint(2, 4)
            for _ in range(50):  # bounded: distinct MPNs by popularity
                mpn = rng.choices(ranked, weights=weights)[0]
                if mpn not in picked:
                    picked.append(mpn)
                if len(picked) == want:
                    break
            text = ", ".join(item_text(rng, m, 0.2) for m in picked)
        else:
            text = item_text(rng, rng.choices(ranked, weights=weights)[0], 0.2)
        events.append(Event(t, rng.choices(user_ids, weights=user_weights)[0], text, parse_lookup(text)))
    return events


class SimClock:
    """The service's clock: each replay thread runs at its event's simulated time."""

    def __init__(self, start: float) -> None:
        self.base = start
        self._tls = threading.local()

    def __call__(self) -> float:
        return float(getattr(self._tls, "now", self.base))

    def set_thread(self, now: float) -> None:
        self._tls.now = now


_trace = threading.local()


def _trace_reset() -> None:
    _trace.fetched = 0
    _trace.joined = 0


class CountingSource:
    """The real NexarClient behind a thin proxy that notes which thread made Nexar requests."""

    def __init__(self, client: NexarClient) -> None:
        self.client = client
        self.billed = client.billed
        self.is_sample = client.is_sample

    def search_mpn(self, key: LookupKey, limit: int) -> SearchResult:
        _trace.fetched = getattr(_trace, "fetched", 0) + 1
        return self.client.search_mpn(key, limit)

    def multi_match(self, keys: Sequence[LookupKey], limit: int) -> list[SearchResult | SourceError]:
        _trace.fetched = getattr(_trace, "fetched", 0) + 1
        return self.client.multi_match(keys, limit)

    def suggest(self, text: str) -> tuple[str, ...]:
        return self.client.suggest(text)

    def similar(self, key: LookupKey) -> tuple[SearchResult, tuple[Part, ...]]:
        _trace.fetched = getattr(_trace, "fetched", 0) + 1
        return self.client.similar(key)


class TracingFlight(SingleFlight[Any]):
    """SingleFlight that notes when a thread waited on another thread's flight."""

    def claim(self, keys: Any) -> tuple[list[str], dict[str, Any]]:
        mine, theirs = super().claim(keys)
        if theirs:
            _trace.joined = getattr(_trace, "joined", 0) + len(theirs)
        return mine, theirs


@dataclass
class ReplayResult:
    ttl: int
    lookups: int = 0
    parts_asked: int = 0
    requests: int = 0
    billed: int = 0
    token_requests: int = 0
    hit: list[float] = field(default_factory=list)
    miss: list[float] = field(default_factory=list)
    joined: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0
    truncated: bool = False


def key_of(item: LineItem, lookup: Lookup) -> str:
    return LookupService._key(item, lookup.options).cache_key()


def minimum_fetches(events: Sequence[Event], ttl: float) -> tuple[int, int]:
    """(distinct keys asked, fetches an ideal cache with this TTL needs: first ask, then each ask ≥ TTL
    after the previous fetch)."""
    asks: dict[str, list[float]] = defaultdict(list)
    for ev in events:
        for item in ev.lookup.items:
            asks[key_of(item, ev.lookup)].append(ev.at)
    fetches = 0
    for times in asks.values():
        last = -math.inf
        for t in sorted(times):
            if t - last >= ttl:
                fetches += 1
                last = t
    return len(asks), fetches


def sim_day_start() -> float:
    """Next UTC midnight: the simulated day is one quota day, and never in the store's past."""
    now = datetime.now(UTC)
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def replay_once(catalog: list[dict[str, Any]], events: Sequence[Event], ttl: int, budget: float) -> ReplayResult:
    result = ReplayResult(ttl=ttl)
    workdir = Path(tempfile.mkdtemp(prefix="partbot-bench-replay-"))
    clock = SimClock(sim_day_start())
    start = clock.base
    deadline = time.monotonic() + budget
    with FakeNexar(parts=catalog, client_id=NEXAR_ID, client_secret=NEXAR_SECRET) as fake:
        fake.latency = 0.3
        client = NexarClient(NEXAR_ID, NEXAR_SECRET, token_url=fake.token_url, api_url=fake.api_url)
        store = open_store(str(workdir / "partbot.sqlite3"), None)
        service = LookupService(CountingSource(client), store, cache_ttl=ttl, user_daily=25, team_monthly=1000, clock=clock)
        service.flights = TracingFlight()
        lock = threading.Lock()

        def run(ev: Event) -> None:
            clock.set_thread(start + ev.at)
            _trace_reset()
            t0 = time.perf_counter()
            outcome = service.lookup(TEAM, ev.user, ev.lookup)
            dt = time.perf_counter() - t0
            with lock:
                result.outcomes[type(outcome).__name__] += 1
                if isinstance(outcome, OverQuota):
                    result.outcomes[f"refused ({outcome.refusal.scope})"] += 1
                if _trace.fetched:
                    result.miss.append(dt)
                elif _trace.joined:
                    result.joined.append(dt)
                else:
                    result.hit.append(dt)

        windows: dict[int, list[Event]] = defaultdict(list)
        for ev in events:
            windows[int(ev.at // WINDOW)].append(ev)
        width = min(32, max(len(group) for group in windows.values()))
        t_begin = time.monotonic()
        try:
            with ThreadPoolExecutor(width, thread_name_prefix="replay") as pool:
                for index in sorted(windows):
                    if time.monotonic() > deadline:
                        result.truncated = True
                        break
                    group = windows[index]
                    clock.base = start + index * WINDOW
                    done, _ = wait_futures([pool.submit(run, ev) for ev in group], timeout=120)
                    for future in done:
                        future.result()
                    result.lookups += len(group)
                    result.parts_asked += sum(len(ev.lookup.items) for ev in group)
        finally:
            result.wall = time.monotonic() - t_begin
            result.requests = len(fake.requests)
            result.billed = fake.matched_parts_billed
            result.token_requests = fake.token_requests
            client.close()
            store.close()
    shutil.rmtree(workdir, ignore_errors=True)
    return result


def naive_once(catalog: list[dict[str, Any]], events: Sequence[Event]) -> tuple[int, int]:
    """One uncached, unlimited supSearchMpn per MPN asked: (Nexar requests, matched parts billed)."""
    with FakeNexar(parts=catalog, client_id=NEXAR_ID, client_secret=NEXAR_SECRET) as fake:
        fake.latency = 0.0
        client = NexarClient(NEXAR_ID, NEXAR_SECRET, token_url=fake.token_url, api_url=fake.api_url)
        try:
            for ev in events:
                for item in ev.lookup.items:
                    client.execute(NAIVE_QUERY, {"q": item.mpn})
        finally:
            client.close()
        return len(fake.requests), fake.matched_parts_billed


def section_replay(quick: bool, seed: int) -> None:
    rng = random.Random(seed)
    catalog = synth_parts(9)  # 15 base parts + 9 clones each = 150 parts
    mpns = [p["mpn"] for p in catalog]
    n = 80 if quick else 500
    events = make_workload(rng, mpns, n, 25)
    ttls = (21600,) if quick else (21600, 86400)
    runs: list[ReplayResult] = []
    for ttl in ttls:
        progress(f"replay: {n} lookups, TTL {ttl} s (FakeNexar latency 0.3 s)")
        runs.append(replay_once(catalog, events, ttl, budget=60 if quick else 240))
    progress("replay: naive strategy")
    naive_requests, naive_billed = naive_once(catalog, events)
    if has_nexar_schema():
        problems = nexar_schema_errors(NAIVE_QUERY)
        schema_note = "naive query validated against Nexar's published schema: " + ("ok" if not problems else str(problems))
    else:
        schema_note = "naive query validated against the fake's schema (Nexar's published schema not present)"

    distinct_mpns = len({item.mpn.upper() for ev in events for item in ev.lookup.items})
    parts_asked = sum(len(ev.lookup.items) for ev in events)
    headers = ["", *(f"partbot TTL {r.ttl // 3600} h" for r in runs), "naive (tutorial)"]
    dash = "—"

    def row(label: str, values: Sequence[object], naive: object = dash) -> list[object]:
        return [label, *values, naive]

    rows: list[list[object]] = [
        row("lookups (MPNs asked)", [f"{r.lookups} ({r.parts_asked})" for r in runs], f"{len(events)} ({parts_asked})"),
        row("Nexar requests", [r.requests for r in runs], naive_requests),
        row("matched parts billed", [r.billed for r in runs], naive_billed),
        row("minimum: distinct MPNs asked", [distinct_mpns for _ in runs], distinct_mpns),
        row("minimum: distinct keys asked", [minimum_fetches(events, r.ttl)[0] for r in runs]),
        row("minimum: TTL-bound (ideal cache)", [minimum_fetches(events, r.ttl)[1] for r in runs]),
        row("lookups: hit / joined / miss", [f"{len(r.hit)} / {len(r.joined)} / {len(r.miss)}" for r in runs]),
        row("cache hit rate (lookups)", [f"{100 * len(r.hit) / max(r.lookups, 1):.1f} %" for r in runs]),
        row("hit latency p50 / p99 ms", [f"{ms(pct(r.hit, 50))} / {ms(pct(r.hit, 99))}" for r in runs]),
        row("miss latency p50 / p99 ms", [f"{ms(pct(r.miss, 50))} / {ms(pct(r.miss, 99))}" for r in runs]),
        row("joined latency p50 / p99 ms", [f"{ms(pct(r.joined, 50))} / {ms(pct(r.joined, 99))}" for r in runs]),
        row("outcomes", [", ".join(f"{k} {v}" for k, v in sorted(r.outcomes.items())) for r in runs]),
        row("token requests", [r.token_requests for r in runs]),
        row("wall time s", [f"{r.wall:.1f}" + (" (TRUNCATED)" if r.truncated else "") for r in runs]),
    ]
    table(
        f"replay — {n} lookups, 25 users, 150 parts (Zipf s=1.1), one simulated day, seed {seed}",
        headers,
        rows,
        [
            "LookupService + real NexarClient → FakeNexar (latency 0.3 s) + SQLite in a temp dir; quota 25/user/day, "
            "1000/team/month; simulated clock drives TTL and quota day.",
            f"Events within the same {WINDOW / 60:.0f} simulated minutes run concurrently (thread pool); "
            "'joined' = waited on another lookup's single-flight.",
            "hit = no Nexar request and no wait; miss = this lookup made a Nexar request; latency = wall clock of service.lookup.",
            "naive = one supSearchMpn(q: $q) per MPN asked, no limit (API default 10 parts), no cache, FakeNexar latency 0.",
            schema_note,
        ],
    )
