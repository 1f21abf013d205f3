"""Section goals (issue 11): the process model's figures on one server, for a side-by-side table.

Idle memory (PSS, all processes), 50 simultaneous distinct lookups at 500 ms Nexar latency,
open-loop ack latency at 100 commands/s, and memory after 10,000 lookups.
"""

from __future__ import annotations

import math
import queue
import random
import time

from bench.clients import from_client_process, signed_command
from bench.common import item_text, ms, pct, progress, typo
from bench.memory import closed_loop
from bench.serving import Sender, mixed_text, server_catalog, serving

Figures = dict[str, str]


def measure_goals(quick: bool, seed: int) -> Figures:
    rng = random.Random(seed + 11)
    catalog = server_catalog()
    mpns = [p["mpn"] for p in catalog]
    rng.shuffle(mpns)
    burst_pool, rest = mpns[:150], mpns[150:]
    rounds, size = (1, 50) if quick else (2, 50)
    rate, seconds = 100, (2 if quick else 5)
    total, distinct = (1000, 300) if quick else (10_000, 2000)
    out: Figures = {}
    with serving(catalog, 0.5) as (server, nexar, slack):
        out["processes"] = str(len(server.processes()))
        out["idle PSS MiB (all processes)"] = f"{server.pss():.1f}"
        sender = Sender(server, slack)
        idle: list[float] = []
        for i in range(3):  # first-use costs, then the idle round trip of one miss
            sent, _, _ = sender.command(burst_pool.pop(), f"idle-{i}")
            slack.wait_answers([f"idle-{i}"], 30)
            if i:
                idle.append(slack.arrivals()[f"idle-{i}"] - sent)
        sender.close()
        names = [f"warm-{i}" for i in range(10)]  # every process's first use (tokens, connections)
        built = [signed_command(server.port, slack, burst_pool.pop(), n, "U999") for n in names]
        from_client_process("asyncio raw", server.port, built, len(names), timeout=60)
        slack.wait_answers(names, 60)
        lasts: list[float] = []
        for r in range(rounds):
            progress(f"goals: burst round {r + 1} of {rounds}, {size} distinct misses at 0.5 s")
            names = [f"burst{r}-{i}" for i in range(size)]
            built = [signed_command(server.port, slack, burst_pool.pop(), n, f"U{i:03d}") for i, n in enumerate(names)]
            results = from_client_process("asyncio raw", server.port, built, size, timeout=60)
            missing = slack.wait_answers(names, 60)
            t0 = min((sent for sent, _, _ in results), default=math.nan)
            arrivals = slack.arrivals()
            lasts.append(math.inf if missing else max(arrivals[n] for n in names) - t0)
        rt = pct(idle, 50)
        out["idle round trip s (one miss)"] = f"{rt:.3f}"
        out[f"burst of {size}: last answer s (worst of {rounds})"] = f"{max(lasts):.3f}"
        out["burst: last answer / idle round trip (goal ≤ 2)"] = f"{max(lasts) / rt:.2f}×"

        nexar.set_latency(0.3)
        count = rate * seconds
        progress(f"goals: open loop, {count} commands at {rate}/s")
        jobs = [(mixed_text(rng, rest), f"ol-{i}", f"U{rng.randrange(50):03d}") for i in range(count)]
        built = [signed_command(server.port, slack, text, name, user) for text, name, user in jobs]
        results = from_client_process(f"open loop {rate}/s", server.port, built, 50, timeout=60)
        missing = slack.wait_answers([name for _, name, _ in jobs], 120)
        acks = [acked - sent for sent, acked, _ in results]
        out[f"open loop {rate}/s ({count} cmds): ack p50 / p99 / max ms (goal p99 < 50)"] = (
            f"{ms(pct(acks, 50))} / {ms(pct(acks, 99))} / {ms(max(acks, default=math.nan))}"
        )
        out["open loop: non-200 / unanswered"] = f"{sum(1 for *_, s in results if s != 200)} / {len(missing)}"
        out["PSS MiB after the burst and open loop"] = f"{server.pss():.1f}"

        nexar.set_latency(0.0)
        found = rng.sample(mpns, int(distinct * 0.6))
        universe = found + sorted({typo(m) for m in rng.sample(mpns, distinct - len(found))} - set(mpns))
        steps, answered, lost, pss = 4, 0, 0, []
        for step in range(steps):
            work: queue.Queue[tuple[str, str, str]] = queue.Queue()
            for i in range(total // steps):
                work.put((item_text(rng, rng.choice(universe), 0.2), f"m{step}-{i}", f"U{rng.randrange(200):03d}"))
            progress(
                f"goals: lookups {step * total // steps + 1:,}–{(step + 1) * total // steps:,} of {total:,}, closed loop of 20"
            )
            done, gone = closed_loop(Sender(server, slack), slack, work, 20, time.monotonic() + 300)
            answered, lost = answered + done, lost + gone
            slack.forget()
            pss.append(f"{server.pss():.1f}")
        out[f"PSS MiB after each {total // steps:,} of {total:,} more lookups"] = " / ".join(pss)
        out[f"{total:,} lookups: answered / lost"] = f"{answered} / {lost}"
    return out
