"""Section 5, memory: the serving processes over 10,000 lookups."""

from __future__ import annotations

import queue
import random
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

from bench.common import cpu_total, item_text, progress, table, typo
from bench.serving import BenchSlack, Sender, ServerProcess, server_catalog, serving

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
