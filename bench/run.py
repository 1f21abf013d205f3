"""partbot benchmarks: `python bench/run.py [--quick] [section ...]`, run from the repo root.

Sections (all by default, in this order):
  replay    a simulated day of lookups through LookupService + NexarClient + SQLite: Nexar requests and
            matched parts billed against the minimum possible, hit rate, reply latency; and the same
            questions through the naive "one unlimited supSearchMpn per MPN" strategy
  ack       ack latency of signed `/part` commands at 1, 10 and 50 concurrent clients, and at 50-400 commands/s
            arriving independently (`python -m bot serve`)
  overhead  ack → answer at the response_url, minus FakeNexar's injected latency, for misses and hits
  burst     50 concurrent distinct lookups (all misses): time until every answer arrived, in round trips
  memory    VmHWM/VmRSS of the serving processes over 10,000 lookups (~2,000 distinct MPNs), lookups/s

Everything talks to 127.0.0.1 only (FakeSlack runs in this process; FakeNexar and the load client for the
server sections in processes of their own); every loop is bounded
in count and in time. Nothing is asserted: this measures and prints.
"""

# ruff: noqa: E402  (the repo root goes on sys.path before the project's imports)

from __future__ import annotations

import argparse
import asyncio
import copy
import functools
import logging
import math
import multiprocessing
import os
import queue
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.managers import BaseManager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx

import tests.fakes.nexar as fake_nexar_module
from bot.adapters.nexar import NexarClient
from bot.adapters.stores import open_store
from bot.domain.commands import Lookup
from bot.domain.models import LookupKey, SearchResult
from bot.domain.outcomes import OverQuota
from bot.domain.parsing import parse_command
from bot.ports import SourceError
from bot.service.lookup import LookupService
from bot.service.singleflight import SingleFlight
from tests.conftest import NEXAR_ID, NEXAR_SECRET, SIGNING_SECRET, bot_env
from tests.fakes.nexar import FakeNexar, load_sample_parts
from tests.fakes.signing import signed_headers, slash_command_body
from tests.fakes.slack import FakeSlack
from tests.serve import ServeProcess
from tests.shared import has_nexar_schema, nexar_schema_errors

SECTIONS = ("replay", "ack", "overhead", "burst", "memory")
TEAM = "T0001"
WINDOW = 300.0  # simulated seconds whose events run concurrently in the replay
NAIVE_QUERY = """
query NaiveSearch($q: String!) {
  supSearchMpn(q: $q) {
    hits
    results { part { mpn } }
  }
}
"""
"""Nexar's tutorial-style search: no `limit`, so the API's default of 10 parts per search is billed."""

# Limits raised for the server sections, so they measure serving rather than quota refusals.
UNLIMITED = {"PARTBOT_USER_DAILY_PARTS": "1000000", "PARTBOT_TEAM_MONTHLY_PARTS": "100000000"}


# --- output --------------------------------------------------------------------------------------


def pct(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    return "—" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]], notes: Sequence[str] = ()) -> None:
    """Print a plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers], *([str(c) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    print()
    print(title)
    print("=" * len(title))
    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))
    for note in notes:
        print(f"  {note}")
    sys.stdout.flush()


def progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


def speed_up_fakes() -> None:
    """Memoize FakeNexar's MPN normalization (a pure function it runs on every catalog part for every query).

    FakeNexar shares this machine's two cores with the bot; without this its linear catalog scan (~4 ms per
    query over 1,500 parts) would be a large part of what the server sections measure."""
    fake_nexar_module.normalize_mpn = functools.lru_cache(maxsize=None)(fake_nexar_module.normalize_mpn)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (all threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_total(pids: Sequence[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


def children(parent: int) -> list[int]:
    """PIDs whose parent is `parent`."""
    pids: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            pids.append(int(entry))
    return sorted(pids)


# --- synthetic catalog ---------------------------------------------------------------------------


def synth_parts(clones_per_base: int) -> list[dict[str, Any]]:
    """The sample catalog's parts plus `clones_per_base` copies of each with new MPNs (`LM358DR-B07`).

    Clones keep their base's sellers and price breaks (prices nudged a little), so each clone answers
    like a real part, and a base MPN prefix-matches its clones, as a short MPN does on Octopart."""
    out: list[dict[str, Any]] = []
    for base in load_sample_parts():
        out.append(base)
        for i in range(1, clones_per_base + 1):
            part = copy.deepcopy(base)
            mpn = f"{base['mpn']}-B{i:02d}"
            part["mpn"] = mpn
            if part.get("octopartUrl"):
                part["octopartUrl"] = f"{part['octopartUrl']}-b{i:02d}"
            for seller in part.get("sellers", []):
                for offer in seller.get("offers", []):
                    offer["sku"] = str(offer.get("sku") or "").replace(base["mpn"], mpn) or f"{mpn}-SKU"
                    for point in offer.get("prices", []):
                        point["price"] = round(point["price"] * (1 + 0.003 * i), 6)
                        if point.get("convertedPrice") is not None:
                            point["convertedPrice"] = point["price"]
            out.append(part)
    return out


def typo(mpn: str) -> str:
    """A near miss that matches no part (and shares a prefix, so Nexar's suggest has something to say)."""
    return re.sub(r"-B(\d\d)$", r"-Z\1", mpn) if "-B" in mpn else mpn + "-ZZ"


# --- command texts -------------------------------------------------------------------------------

QUANTITIES = (10, 25, 50, 100, 250, 500, 1000, 2500, 5000)


def quantity_text(rng: random.Random, q: int) -> str:
    forms = [f"x{q}", f"{q}", f"qty={q}"]
    if q >= 1000:
        forms.append(f"x{q / 1000:g}k")
    return rng.choice(forms)


def item_text(rng: random.Random, mpn: str, qty_share: float) -> str:
    shown = mpn.lower() if rng.random() < 0.1 else mpn
    if rng.random() < qty_share:
        return f"{shown} {quantity_text(rng, rng.choice(QUANTITIES))}"
    return shown


def parse_lookup(text: str) -> Lookup:
    parsed = parse_command(text)
    if not isinstance(parsed, Lookup):
        raise RuntimeError(f"bench bug: {text!r} does not parse as a lookup ({parsed!r})")
    return parsed


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


def key_of(mpn: str, lookup: Lookup) -> str:
    return LookupService._key(mpn, lookup.options).cache_key()


def minimum_fetches(events: Sequence[Event], ttl: float) -> tuple[int, int]:
    """(distinct keys asked, fetches an ideal cache with this TTL needs: first ask, then each ask ≥ TTL
    after the previous fetch)."""
    asks: dict[str, list[float]] = defaultdict(list)
    for ev in events:
        for item in ev.lookup.items:
            asks[key_of(item.mpn, ev.lookup)].append(ev.at)
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


# --- the production server and the fakes it talks to ----------------------------------------------


class BenchSlack(FakeSlack):
    """FakeSlack that also signals each response_url post by name, so load can be closed-loop."""

    def __init__(self) -> None:
        from tests.conftest import BOT_TOKEN

        super().__init__(bot_token=BOT_TOKEN)
        self._answered: set[str] = set()
        self._answer_cond = threading.Condition()

    def _dispatch(self, verb: str, raw_path: str, headers: dict[str, str], body: bytes) -> Any:
        reply = super()._dispatch(verb, raw_path, headers, body)
        path = urlsplit(raw_path).path
        if path.startswith("/response/"):
            with self._answer_cond:
                self._answered.add(path.rsplit("/", 1)[1])
                self._answer_cond.notify_all()
        return reply

    def wait_answers(self, names: Sequence[str], timeout: float) -> set[str]:
        """Wait until every name got its answer; return those still missing at the timeout."""
        deadline = time.monotonic() + timeout
        wanted = set(names)
        with self._answer_cond:
            while not wanted <= self._answered:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._answer_cond.wait(min(left, 1.0))
            return wanted - self._answered

    def arrivals(self) -> dict[str, float]:
        """First response_url arrival (SlackCall.at, monotonic) per response name."""
        out: dict[str, float] = {}
        for call in self.calls_to("response_url"):
            out.setdefault(call.path.rsplit("/", 1)[1], call.at)
        return out

    def forget(self) -> None:
        self.reset()
        with self._answer_cond:
            self._answered.clear()


class ServerProcess(ServeProcess):
    """`python -m bot serve --port P` as a child process (gunicorn master + worker), with /proc readings."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        if os.environ.get("WEB_CONCURRENCY"):
            env = {**env, "WEB_CONCURRENCY": os.environ["WEB_CONCURRENCY"]}  # e.g. WEB_CONCURRENCY=2 python bench/run.py ack
        super().__init__(env, workdir)

    def workers(self) -> list[int]:
        """PIDs of the gunicorn (web) workers: children of the master."""
        return children(self.proc.pid)

    def lookup_workers(self) -> list[int]:
        """PIDs of the worker processes the web workers spawned for lookups (not multiprocessing's resource tracker)."""
        out: list[int] = []
        for web in self.workers():
            for pid in children(web):
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if b"spawn_main" in cmdline:
                    out.append(pid)
        return out

    @staticmethod
    def status(pid: int) -> dict[str, str]:
        """/proc/<pid>/status as a dict."""
        out: dict[str, str] = {}
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            out[name] = value.strip()
        return out

    @classmethod
    def memory(cls, pid: int) -> tuple[float, float]:
        """(VmRSS, VmHWM) in MiB."""
        status = cls.status(pid)
        rss, hwm = (int(status.get(k, "0 kB").split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))
        return rss, hwm


class _NexarHost:
    """A FakeNexar, living in the manager process of `NexarProcess`."""

    def __init__(self, catalog: list[dict[str, Any]], latency: float) -> None:
        speed_up_fakes()
        sys.setswitchinterval(NEXAR_SWITCH)
        self.fake = FakeNexar(parts=catalog, client_id=NEXAR_ID, client_secret=NEXAR_SECRET).start()
        self.fake.latency = latency

    def urls(self) -> tuple[str, str]:
        return self.fake.token_url, self.fake.api_url

    def count(self) -> int:
        return len(self.fake.requests)

    def requests_since(self, start: int) -> list[fake_nexar_module.GraphQLRequest]:
        return self.fake.requests[start:]

    def reset(self) -> None:
        self.fake.reset()

    def stop(self) -> None:
        self.fake.stop()


class _Manager(BaseManager):
    pass


_Manager.register("NexarHost", _NexarHost)


NEXAR_NICE = 10
NEXAR_SWITCH = 0.0005


class NexarProcess:
    """FakeNexar in a process of its own for the server sections. Its GraphQL execution (about 5 ms of CPU a
    search here) then has its own interpreter lock instead of sharing one with FakeSlack, whose arrival times
    are the measurements, and with the load client. It stands for a remote service, so it runs at nice 10 and
    takes the CPU the server leaves (it computes each answer inside its latency window), and it switches
    threads every 0.5 ms instead of 5 ms, so that a request arriving while it computes a batch is read (and
    its latency window started) promptly, as a many-core server would."""

    def __init__(self, catalog: list[dict[str, Any]], latency: float) -> None:
        self._manager = _Manager(ctx=multiprocessing.get_context("spawn"))
        self._manager.start(initializer=os.nice, initargs=(NEXAR_NICE,))
        self.pid: int = self._manager._process.pid  # type: ignore[attr-defined]
        self._host: Any = self._manager.NexarHost(catalog, latency)  # type: ignore[attr-defined]
        self.token_url, self.api_url = self._host.urls()

    def count(self) -> int:
        return int(self._host.count())

    def requests_since(self, start: int) -> list[fake_nexar_module.GraphQLRequest]:
        return list(self._host.requests_since(start))

    def reset(self) -> None:
        self._host.reset()

    def close(self) -> None:
        try:
            self._host.stop()
        finally:
            self._manager.shutdown()


@contextmanager
def serving(
    catalog: list[dict[str, Any]], latency: float, **extra: str
) -> Iterator[tuple[ServerProcess, NexarProcess, BenchSlack]]:
    workdir = Path(tempfile.mkdtemp(prefix="partbot-bench-serve-"))
    nexar = NexarProcess(catalog, latency)
    try:
        with BenchSlack() as slack:
            server = ServerProcess(bot_env(workdir, nexar, slack, **{**UNLIMITED, **extra}), workdir)  # type: ignore[arg-type]
            try:
                yield server, nexar, slack
            finally:
                server.stop()
    finally:
        nexar.close()
    shutil.rmtree(workdir, ignore_errors=True)


class Sender:
    """Signed `/part` commands over one keep-alive httpx client per thread."""

    def __init__(self, server: ServerProcess, slack: FakeSlack) -> None:
        self.server, self.slack = server, slack
        self._tls = threading.local()

    def client(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._tls, "client", None)
        if client is None:
            client = httpx.Client(base_url=self.server.url, timeout=30)
            self._tls.client = client
        return client

    def command(self, text: str, name: str, user: str = "U100") -> tuple[float, float, int]:
        """(sent, acked) monotonic times and the HTTP status of the slash command's response."""
        body = slash_command_body(text, user_id=user, response_url=self.slack.response_url(name))
        headers = signed_headers(SIGNING_SECRET, body)
        sent = time.monotonic()
        try:
            status = self.client().post("/slack/events", content=body, headers=headers).status_code
        except httpx.HTTPError:
            status = 0
        return sent, time.monotonic(), status

    def close(self) -> None:
        client: httpx.Client | None = getattr(self._tls, "client", None)
        if client is not None:
            client.close()
            self._tls.client = None


def signed_command(port: int, slack: FakeSlack, text: str, name: str, user: str) -> bytes:
    """A complete HTTP/1.1 request for a signed `/part TEXT` slash command."""
    body = slash_command_body(text, user_id=user, response_url=slack.response_url(name))
    headers = {"Host": f"127.0.0.1:{port}", **signed_headers(SIGNING_SECRET, body), "Content-Length": str(len(body))}
    head = "POST /slack/events HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode() + body


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _exchange_or_reconnect(port: int, conn: Conn, request: bytes) -> tuple[int, Conn]:
    """The HTTP status of `request` on `conn`, and the connection to use next: status 0 and a
    new connection when this one broke."""
    try:
        return await _exchange(*conn, request), conn
    except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        conn[1].close()
        return 0, await asyncio.open_connection("127.0.0.1", port)


def raw_blast(port: int, requests: Sequence[bytes], concurrency: int, timeout: float) -> list[tuple[float, float, int]]:
    """Send pre-built requests over `concurrency` keep-alive connections from one asyncio thread (near-zero
    client overhead, unlike many Python threads); all connections are open before the first send.
    Returns (sent, answered, status) per request; status 0 for a broken connection."""
    results: list[tuple[float, float, int]] = []
    pending = list(reversed(requests))

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await ready.wait()
        try:
            while pending:
                request = pending.pop()
                sent = time.monotonic()
                status, (reader, writer) = await _exchange_or_reconnect(port, (reader, writer), request)
                results.append((sent, time.monotonic(), status))
        finally:
            writer.close()

    async def main() -> None:
        tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
        await asyncio.sleep(0.2)  # let every connection open
        ready.set()
        with suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*tasks), timeout)

    ready = asyncio.Event()
    asyncio.run(main())
    return results


def server_catalog() -> list[dict[str, Any]]:
    return synth_parts(99)  # 15 base parts + 99 clones each = 1,500 parts


def mixed_text(rng: random.Random, mpns: Sequence[str]) -> str:
    """A realistic command: mostly one catalog MPN (some with a quantity), a few typos and BOM lines."""
    r = rng.random()
    if r < 0.08:
        return typo(rng.choice(mpns))
    if r < 0.13:
        return ", ".join(item_text(rng, m, 0.5) for m in rng.sample(list(mpns), rng.randint(2, 3)))
    return item_text(rng, rng.choice(mpns), 0.2)


# --- 2. ack --------------------------------------------------------------------------------------


def httpx_pool(port: int, requests: Sequence[bytes], concurrency: int, timeout: float) -> list[tuple[float, float, int]]:
    """Send pre-built requests from `concurrency` threads, one keep-alive `httpx.Client` each; each thread
    takes the next request when its previous one was answered. Returns (sent, answered, status) per request."""
    pending = list(reversed(requests))
    results: list[tuple[float, float, int]] = []
    lock = threading.Lock()
    ready = threading.Barrier(concurrency)
    deadline = time.monotonic() + timeout

    def worker() -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            client.get("/healthz")
            ready.wait(30)
            while time.monotonic() < deadline:
                with lock:
                    if not pending:
                        return
                    raw = pending.pop()
                head, _, body = raw.partition(b"\r\n\r\n")
                headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
                headers.pop("Host", None)
                sent = time.monotonic()
                try:
                    status = client.post("/slack/events", content=body, headers=headers).status_code
                except httpx.HTTPError:
                    status = 0
                with lock:
                    results.append((sent, time.monotonic(), status))

    threads = [threading.Thread(target=worker, name=f"client-{i}") for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 30)
    return results


def open_loop(
    port: int, requests: Sequence[bytes], concurrency: int, timeout: float, rate: float
) -> list[tuple[float, float, int]]:
    """Send pre-built requests at Poisson arrival times (`rate` per second) over at most `concurrency`
    keep-alive connections. Latency counts from the scheduled time, so waiting for a free connection
    counts too (no coordinated omission). Returns (scheduled, answered, status) per request."""
    results: list[tuple[float, float, int]] = []
    rng = random.Random(len(requests))

    async def main() -> None:
        pool: asyncio.Queue[Conn] = asyncio.Queue()
        for _ in range(concurrency):
            pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))

        async def one(at: float, request: bytes) -> None:
            await asyncio.sleep(max(at - time.monotonic(), 0))
            status, conn = await _exchange_or_reconnect(port, await pool.get(), request)
            results.append((at, time.monotonic(), status))
            pool.put_nowait(conn)

        at = time.monotonic() + 0.2
        tasks = []
        for request in requests:
            tasks.append(asyncio.create_task(one(at, request)))
            at += rng.expovariate(rate)
        with suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*tasks), timeout)
        while not pool.empty():
            pool.get_nowait()[1].close()

    asyncio.run(main())
    return results


def _client_main(kind: str, port: int, requests: Sequence[bytes], concurrency: int, timeout: float, out: Any) -> None:
    if kind.startswith("open loop"):
        out.put(open_loop(port, requests, concurrency, timeout, float(kind.split()[2].removesuffix("/s"))))
        return
    blast = raw_blast if kind == "asyncio raw" else httpx_pool
    out.put(blast(port, requests, concurrency, timeout))


def from_client_process(
    kind: str, port: int, requests: Sequence[bytes], concurrency: int, timeout: float
) -> list[tuple[float, float, int]]:
    """Run the load generator in its own process, so that the fakes' work in this one (FakeNexar executes
    GraphQL) cannot hold up the client's reads and inflate the latencies it records."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    client = ctx.Process(target=_client_main, args=(kind, port, list(requests), concurrency, timeout, out), name="bench-client")
    client.start()
    try:
        results: list[tuple[float, float, int]] = out.get(timeout=timeout + 120)
    finally:
        client.join(30)
    return results


def section_ack(quick: bool, seed: int) -> None:
    rng = random.Random(seed + 2)
    catalog = server_catalog()
    mpns = [p["mpn"] for p in catalog]
    levels = ((1, 20), (10, 20), (50, 100)) if quick else ((1, 200), (10, 200), (50, 500))
    seconds = 1 if quick else 4
    runs = [(client, concurrency, count) for client in ("httpx threads", "asyncio raw") for concurrency, count in levels]
    runs += [(f"open loop {rate}/s", 50, rate * seconds) for rate in (50, 100, 200, 400)]
    rows: list[list[object]] = []
    with serving(catalog, 0.3) as (server, nexar, slack):
        sender = Sender(server, slack)
        sender.command("NE555DR", "warm-0")
        slack.wait_answers(["warm-0"], 30)
        sender.close()
        web, lookup = server.workers(), server.lookup_workers()
        for client, concurrency, count in runs:
            progress(f"ack: {count} commands at concurrency {concurrency} ({client})")
            tag = "ack-" + re.sub(r"\W", "", client) + str(concurrency)
            jobs = [(mixed_text(rng, mpns), f"{tag}-{i}", f"U{rng.randrange(50):03d}") for i in range(count)]
            built = [signed_command(server.port, slack, text, name, user) for text, name, user in jobs]
            requests_before = nexar.count()
            cpu0 = (cpu_total(web), cpu_total(lookup))
            results = from_client_process(client, server.port, built, concurrency, timeout=60 if quick else 180)
            t0 = min((sent for sent, _, _ in results), default=math.nan)
            t_acked = max((acked for _, acked, _ in results), default=math.nan)
            missing = slack.wait_answers([name for _, name, _ in jobs], 120)
            cpu = (cpu_total(web) - cpu0[0], cpu_total(lookup) - cpu0[1])
            arrivals = slack.arrivals()
            last = max((arrivals[n] for _, n, _ in jobs if n in arrivals), default=math.nan)
            acks = [acked - sent for sent, acked, _ in results]
            rows.append(
                [
                    client,
                    concurrency,
                    len(results),
                    ms(pct(acks, 50)),
                    ms(pct(acks, 99)),
                    ms(max(acks, default=math.nan)),
                    sum(1 for _, _, status in results if status != 200),
                    f"{len(results) / max(t_acked - t0, 1e-9):.0f}",
                    f"{1000 * cpu[0] / max(len(jobs), 1):.2f} / {1000 * cpu[1] / max(len(jobs), 1):.1f}",
                    f"{len(jobs) - len(missing)}/{len(jobs)}",
                    f"{last - t0:.2f}",
                    nexar.count() - requests_before,
                    f"{sum(server.memory(p)[1] for p in web):.0f} / {sum(server.memory(p)[1] for p in lookup):.0f}",
                ]
            )
    table(
        f"ack — signed /part slash commands → HTTP response (server: subprocess `python -m bot serve`, {len(web)} web "
        f"worker(s), {len(lookup)} lookup worker(s))",
        [
            "client",
            "concurrency",
            "requests",
            "p50 ms",
            "p99 ms",
            "max ms",
            "non-200",
            "acks/s",
            "CPU ms/cmd web / lookup",
            "answered",
            "all answered s",
            "Nexar reqs",
            "VmHWM MiB web / lookup",
        ],
        rows,
        [
            "FakeNexar latency 0.3 s; MPNs drawn from 1,500 parts (some repeats → hits), ~8 % typos (no match: lookup + suggest), "
            "~5 % 2-3 part BOM lines.",
            "Closed loop (httpx threads, asyncio raw): each client sends its next command when the previous ack arrived. "
            "Latency = send → HTTP response.",
            f"Open loop N/s: {seconds} s of Poisson arrivals at N commands per second over at most 50 keep-alive connections "
            "(asyncio); latency from each command's scheduled time, so waiting for a free connection counts; "
            "'concurrency' = the connection cap.",
            "The client runs in its own process: httpx threads = one keep-alive httpx.Client per thread; asyncio raw = one "
            "asyncio thread over raw keep-alive sockets (far less client CPU on this 2-core machine).",
            "CPU = the web workers' CPU (acks) and the lookup workers' CPU (the lookups and replies the acks started), per command.",
            "'all answered s' = from the level's first send to the last answer at response_url. Goal: p99 < 50 ms at 50 concurrent.",
        ],
    )


# --- 3. overhead ---------------------------------------------------------------------------------


def section_overhead(quick: bool, seed: int) -> None:
    rng = random.Random(seed + 3)
    catalog = server_catalog()
    latency = 0.3
    n_miss, n_hit = (8, 16) if quick else (40, 120)
    mpns = rng.sample([p["mpn"] for p in catalog], n_miss + 1)
    warm, mpns = mpns[0], mpns[1:]
    miss_ack: list[float] = []
    miss_send: list[float] = []
    hit_ack: list[float] = []
    hit_send: list[float] = []
    before_nexar: list[float] = []
    after_nexar: list[float] = []
    acks: list[float] = []
    lost = 0
    with serving(catalog, latency) as (server, nexar, slack):
        sender = Sender(server, slack)
        for i, text in enumerate((warm, warm)):  # token, connections, first-use costs; then one hit
            sender.command(text, f"warm-{i}")
            slack.wait_answers([f"warm-{i}"], 30)
        deadline = time.monotonic() + (60 if quick else 180)
        progress(f"overhead: {n_miss} misses, then {n_hit} hits, one at a time")
        plan = [(m, True) for m in mpns] + [(rng.choice(mpns), False) for _ in range(n_hit)]
        for i, (mpn, is_miss) in enumerate(plan):
            if time.monotonic() > deadline:
                break
            name = f"ov-{i}"
            requests_before = nexar.count()
            sent, acked, _ = sender.command(mpn, name)
            if slack.wait_answers([name], 30):
                lost += 1
                continue
            acks.append(acked - sent)
            arrived = slack.arrivals()[name]
            fetched = [r for r in nexar.requests_since(requests_before) if r.variables.get("q") == mpn]
            if is_miss and fetched:
                miss_ack.append(arrived - acked - latency)
                miss_send.append(arrived - sent - latency)
                before_nexar.append(fetched[0].at - sent)
                after_nexar.append(arrived - (fetched[-1].at + latency))
            elif not is_miss and not fetched:
                hit_ack.append(arrived - acked)
                hit_send.append(arrived - sent)
        sender.close()

    def stats(label: str, values: list[float]) -> list[object]:
        return [label, len(values), ms(pct(values, 50)), ms(pct(values, 99)), ms(max(values, default=math.nan))]

    table(
        "overhead — reply overhead: answer at response_url minus FakeNexar's 0.3 s (server: subprocess `python -m bot serve`)",
        ["", "n", "p50 ms", "p99 ms", "max ms"],
        [
            stats("miss: ack → answer − 0.3 s", miss_ack),
            stats("miss: send → answer − 0.3 s", miss_send),
            stats("  send → Nexar request", before_nexar),
            stats("  Nexar reply → answer", after_nexar),
            stats("hit: ack → answer", hit_ack),
            stats("hit: send → answer", hit_send),
            stats("ack (send → HTTP response)", acks),
        ],
        [
            "One command at a time, idle server. 'ack' = the client got the HTTP response; 'answer' = SlackCall.at at the "
            "fake response_url;",
            "'Nexar request' = GraphQLRequest.at, 'Nexar reply' = that + 0.3 s (all time.monotonic on one host).",
            "ack → answer can be negative: a cache hit's answer may reach response_url before the ack reaches the client.",
            "Goal: p50 < 10 ms." + (f" Lost answers: {lost}." if lost else ""),
        ],
    )


# --- 4. burst ------------------------------------------------------------------------------------


def section_burst(quick: bool, seed: int) -> None:
    rng = random.Random(seed + 4)
    catalog = server_catalog()
    latency = 0.5
    rounds, size = (1, 50) if quick else (3, 50)
    warm = 10
    pool = rng.sample([p["mpn"] for p in catalog], rounds * size + 3 + warm)
    rows: list[list[object]] = []
    idle: list[float] = []
    with serving(catalog, latency) as (server, nexar, slack):
        sender = Sender(server, slack)
        for i in range(3):  # first-use costs, then the idle round trip of one miss
            sent, _, _ = sender.command(pool.pop(), f"idle-{i}")
            slack.wait_answers([f"idle-{i}"], 30)
            if i:
                idle.append(slack.arrivals()[f"idle-{i}"] - sent)
        sender.close()
        # First-use costs in every process (each lookup worker's Nexar token, connections, threads): a few
        # misses over several connections at once, so that both web workers and their lookup workers see some.
        names = [f"warm-{i}" for i in range(warm)]
        built = [signed_command(server.port, slack, pool.pop(), name, "U999") for name in names]
        from_client_process("asyncio raw", server.port, built, warm, timeout=60)
        slack.wait_answers(names, 60)
        web, lookup = server.workers(), server.lookup_workers()
        for r in range(rounds):
            progress(f"burst: round {r + 1} of {rounds}, {size} distinct misses at once")
            names = [f"burst{r}-{i}" for i in range(size)]
            built = [signed_command(server.port, slack, pool.pop(), name, f"U{i:03d}") for i, name in enumerate(names)]
            requests_before = nexar.count()
            cpu0, bench0 = (cpu_total(web), cpu_total(lookup), cpu_seconds(nexar.pid)), time.process_time()
            results = from_client_process("asyncio raw", server.port, built, size, timeout=60)
            missing = slack.wait_answers(names, 60)
            cpu = (cpu_total(web) - cpu0[0], cpu_total(lookup) - cpu0[1], cpu_seconds(nexar.pid) - cpu0[2])
            bench_cpu = time.process_time() - bench0
            arrivals = slack.arrivals()
            t0 = min((sent for sent, _, _ in results), default=math.nan)
            times = sorted(arrivals[n] - t0 for n in names if n in arrivals)
            reqs = nexar.requests_since(requests_before)
            first_req = min((q.at for q in reqs), default=math.nan) - t0
            last_req = max((q.at for q in reqs), default=math.nan) - t0
            acks = [acked - sent for sent, acked, _ in results]
            last = times[-1] if times else math.nan
            rows.append(
                [
                    r + 1,
                    f"{size - len(missing)}/{size}",
                    ms(max(acks, default=math.nan)),
                    f"{first_req:.3f} / {last_req:.3f}",
                    f"{times[0]:.3f}" if times else "—",
                    f"{pct(times, 50):.3f}",
                    f"{last:.3f}",
                    f"{last / latency:.2f}×",
                    f"{last / pct(idle, 50):.2f}×",
                    len(reqs),
                    " / ".join(f"{1000 * c / size:.1f}" for c in (*cpu, bench_cpu)),
                ]
            )
    table(
        f"burst — {size} concurrent distinct lookups, all misses, FakeNexar latency {latency} s "
        "(server: subprocess `python -m bot serve`)",
        [
            "round",
            "answered",
            "max ack ms",
            "Nexar reqs arrive s (first / last)",
            "first answer s",
            "p50 s",
            "last s",
            "last / 0.5 s",
            "last / idle RT",
            "Nexar reqs",
            "CPU ms/lookup web / lookup / Nexar / Slack",
        ],
        rows,
        [
            f"All {size} commands sent at once over {size} pre-opened connections (asyncio raw client, in its own process); times from the "
            f"round's first send, after a warm-up (3 misses one at a time, then {warm} at once). Idle round trip (one miss, "
            f"send → answer) median {pct(idle, 50):.3f} s.",
            "CPU: the web workers (acks), the lookup workers, FakeNexar's process (executes the GraphQL; nice 10) and "
            "this process (FakeSlack). Nexar reqs: searches that meet a busy Nexar share a request. Goal: last ≤ 1.5 × 0.5 s.",
        ],
    )


# --- 5. memory -----------------------------------------------------------------------------------


def db_stats(path: Path) -> tuple[float, dict[str, int]]:
    """(size of the SQLite file + WAL in MiB, rows per table), read-only."""
    size = sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists()) / 2**20
    rows: dict[str, int] = {}
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            for name in ("cache", "recent", "stash", "quota", "events"):
                rows[name] = int(db.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0])
    except sqlite3.Error:
        pass
    return size, rows


def section_memory(quick: bool, seed: int) -> None:
    rng = random.Random(seed + 5)
    catalog = server_catalog()
    total, distinct, concurrency = (1000, 300, 20) if quick else (10_000, 2000, 20)
    catalog_mpns = [p["mpn"] for p in catalog]
    found = rng.sample(catalog_mpns, int(distinct * 0.6))
    no_match = sorted({typo(m) for m in rng.sample(catalog_mpns, distinct - len(found))} - set(catalog_mpns))
    universe = found + no_match
    checkpoints = 4
    per = total // checkpoints
    rows: list[list[object]] = []
    budget_end = time.monotonic() + (90 if quick else 420)
    lost = 0
    with serving(catalog, 0.0) as (server, nexar, slack):
        sender = Sender(server, slack)
        workdir_db = Path(bot_db_path(server))
        sender.command("NE555DR", "warm")
        slack.wait_answers(["warm"], 30)
        sender.close()

        web, lookup = server.workers(), server.lookup_workers()

        def snapshot(label: str, done: int, rate: str, reqs: object, cpu: str) -> None:
            rss = [server.memory(p)[0] for p in (*web, *lookup)]
            hwm = [server.memory(p)[1] for p in (*web, *lookup)]
            _, m_hwm = server.memory(server.proc.pid)
            size, counts = db_stats(workdir_db)
            rows.append(
                [
                    label,
                    done,
                    " + ".join(f"{v:.1f}" for v in rss),
                    " + ".join(f"{v:.1f}" for v in hwm),
                    f"{m_hwm:.1f}",
                    rate,
                    cpu,
                    reqs,
                    f"{size:.1f}",
                    " ".join(f"{k}={v}" for k, v in counts.items()),
                ]
            )

        snapshot("before", 0, "—", "—", "—")
        done = 0
        for c in range(checkpoints):
            if time.monotonic() > budget_end:
                break
            progress(f"memory: lookups {done + 1}–{done + per} of {total} (concurrency {concurrency})")
            jobs: queue.Queue[tuple[str, str, str]] = queue.Queue()
            for i in range(per):
                jobs.put((item_text(rng, rng.choice(universe), 0.2), f"m{c}-{i}", f"U{rng.randrange(200):03d}"))
            requests_before = nexar.count()
            cpu0, bench0 = (cpu_total(web), cpu_total(lookup)), time.process_time()
            t0 = time.monotonic()
            answered, lost_now = closed_loop(sender, slack, jobs, concurrency, budget_end)
            lost += lost_now
            elapsed = time.monotonic() - t0
            n = max(answered, 1)
            cpu = (
                f"{1000 * (cpu_total(web) - cpu0[0]) / n:.1f} / {1000 * (cpu_total(lookup) - cpu0[1]) / n:.1f} / "
                f"{1000 * (time.process_time() - bench0) / n:.1f}"
            )
            done += answered
            reqs = nexar.count() - requests_before
            slack.forget()
            nexar.reset()
            snapshot(f"after {done:,}", done, f"{answered / max(elapsed, 1e-9):.0f}", reqs, cpu)
    table(
        f"memory — {total:,} lookups over ~{len(universe):,} distinct MPNs ({len(no_match)} no-match), concurrency "
        f"{concurrency}, FakeNexar latency 0 (server: subprocess `python -m bot serve`)",
        [
            "checkpoint",
            "answered",
            "VmRSS MiB web + lookup workers",
            "VmHWM MiB web + lookup workers",
            "master VmHWM MiB",
            "lookups/s",
            "CPU ms/lookup web / lookup / bench",
            "Nexar reqs",
            "DB+WAL MiB",
            "SQLite rows",
        ],
        rows,
        [
            "Closed loop: each client thread sends one command and waits for its answer at response_url before the next.",
            "Web workers = the gunicorn gthread workers (acks); lookup workers = the processes they spawned for lookups "
            "and replies; VmHWM = peak RSS so far." + (f" Lost answers: {lost}." if lost else ""),
        ],
    )


def closed_loop(
    sender: Sender, slack: BenchSlack, jobs: queue.Queue[tuple[str, str, str]], concurrency: int, deadline: float
) -> tuple[int, int]:
    """`concurrency` threads, each sending one command and waiting for its answer before the next:
    (answered, lost)."""
    counts = Counter[str]()
    lock = threading.Lock()

    def worker() -> None:
        try:
            while time.monotonic() < deadline:
                try:
                    text, name, user = jobs.get_nowait()
                except queue.Empty:
                    return
                sender.command(text, name, user)
                ok = not slack.wait_answers([name], 30)
                with lock:
                    counts["answered" if ok else "lost"] += 1
        finally:
            sender.close()

    threads = [threading.Thread(target=worker, name=f"load-{i}") for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(deadline - time.monotonic(), 0) + 60)
    return counts["answered"], counts["lost"]


def bot_db_path(server: ServerProcess) -> str:
    return str(server.log_path.with_name("partbot.sqlite3"))


# --- main ----------------------------------------------------------------------------------------

RUNNERS: dict[str, Callable[[bool, int], None]] = {
    "replay": section_replay,
    "ack": section_ack,
    "overhead": section_overhead,
    "burst": section_burst,
    "memory": section_memory,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run of under a minute")
    parser.add_argument("--seed", type=int, default=20261126, help="workload seed (default: %(default)s)")
    parser.add_argument("sections", nargs="*", metavar="section", help=f"any of {', '.join(SECTIONS)} (default: all)")
    args = parser.parse_args(argv)
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    logging.basicConfig(level=logging.ERROR)
    chosen = args.sections or list(SECTIONS)
    speed_up_fakes()
    started = time.monotonic()
    print(
        f"partbot bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
        + (", --quick" if args.quick else "")
    )
    for name in chosen:
        t0 = time.monotonic()
        RUNNERS[name](args.quick, args.seed)
        print(f"  ({name}: {time.monotonic() - t0:.0f} s)")
    print(f"\ntotal {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
