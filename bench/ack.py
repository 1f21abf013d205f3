"""Section 2, ack: ack latency of signed `/part` commands, closed and open loop."""

from __future__ import annotations

import math
import random
import re

from bench.clients import from_client_process, signed_command
from bench.common import cpu_total, ms, pct, progress, table
from bench.serving import Sender, mixed_text, server_catalog, serving

# --- 2. ack --------------------------------------------------------------------------------------


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
