"""Section 3, overhead: ack → answer at the response_url, minus FakeNexar's latency."""

from __future__ import annotations

import math
import random
import time

from bench.common import ms, pct, progress, table
from bench.serving import Sender, server_catalog, serving

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
