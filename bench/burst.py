"""Section 4, burst: 50 concurrent distinct lookups, all misses."""

from __future__ import annotations

import math
import random
import time

from bench.clients import from_client_process, signed_command
from bench.common import cpu_seconds, cpu_total, ms, pct, progress, table
from bench.serving import Sender, server_catalog, serving

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
