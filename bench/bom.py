"""Section bom (issue 11 §5): a 200-distinct-line BOM priced end to end, in round trips.

A signed `app_mention` carrying a CSV file (served by FakeSlack's private file host) goes to
the real server; FakeNexar answers at 0.5 s latency in a process of its own; quotas are high.
Measured from the mention's send to the summary's last `chat.update` in the thread, and to
the priced CSV's upload (`files.completeUploadExternal`), against the idle round trip of one
`/part` miss. New MPNs every round, so nothing is cached.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import re
import time
from typing import Any

import httpx

from bench.common import QUANTITIES, ms, pct, progress
from bench.serving import BenchSlack, NexarProcess, Sender, ServerProcess, server_catalog, serving
from tests.conftest import SIGNING_SECRET, mention
from tests.fakes.signing import event_body, signed_headers

Figures = dict[str, str]
LATENCY = 0.5
WAIT = 90.0  # seconds a BOM may take before the round counts as unanswered
_PRICED = re.compile(r"Lines priced\*\\n([\d,]+) of ([\d,]+)")


def bom_file(rng: random.Random, mpns: list[str]) -> bytes:
    """A CSV BOM: one line per MPN, each with a quantity."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Manufacturer Part Number", "Quantity"])
    for mpn in mpns:
        writer.writerow([mpn, rng.choice(QUANTITIES)])
    return out.getvalue().encode()


def _wait_upload(slack: BenchSlack, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if slack.calls_to("files.completeUploadExternal"):
            return True
        time.sleep(0.05)
    return False


def _lines_priced(args: dict[str, Any]) -> str:
    """'priced of lines' from the summary's Block Kit, or what the last update said instead."""
    blocks = args.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    found = _PRICED.search(json.dumps(blocks, ensure_ascii=False))
    return f"{found[1]} of {found[2]}" if found else f"no summary: {str(args.get('text', ''))[:60]!r}"


def _csv_rows(slack: BenchSlack) -> tuple[int, int]:
    """(rows, rows with an extended price) of the uploaded priced CSV."""
    data = next(iter(slack.uploads.values()), b"")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    return len(rows), sum(1 for r in rows if r.get("extended_price"))


def price_one(
    server: ServerProcess, nexar: NexarProcess, slack: BenchSlack, rng: random.Random, mpns: list[str], n: int
) -> dict[str, Any]:
    """Share one BOM in a mention; when its summary and CSV arrived, and what it cost at Nexar."""
    slack.forget()
    file = slack.add_file(f"FBOM{n}", f"bom-{n}.csv", bom_file(rng, mpns))
    event = mention("price this please", ts=f"17000010{n:02d}.000100")
    event["files"] = [file]
    body = event_body(event, event_id=f"EvBom{n}")
    headers = signed_headers(SIGNING_SECRET, body, content_type="application/json")
    before = nexar.count()
    nexar.take_max_in_flight()
    sent = time.monotonic()
    try:
        status = httpx.post(server.url + "/slack/events", content=body, headers=headers, timeout=30).status_code
    except httpx.HTTPError:
        status = 0
    acked = time.monotonic()
    uploaded = _wait_upload(slack, WAIT) if status == 200 else False
    updates = slack.calls_to("chat.update")
    uploads = slack.calls_to("files.completeUploadExternal")
    reqs = nexar.requests_since(before)
    rows, priced_rows = _csv_rows(slack) if uploaded else (0, 0)
    return {
        "status": status,
        "ack": acked - sent,
        "summary": updates[-1].at - sent if uploaded and updates else math.inf,
        "upload": uploads[0].at - sent if uploaded else math.inf,
        "priced": _lines_priced(updates[-1].args) if updates else "no chat.update",
        "csv": f"{rows} rows, {priced_rows} priced",
        "requests": len(reqs),
        "parts": sum(q.matched_parts for q in reqs),
        "in_flight": nexar.take_max_in_flight(),
        "arrive": (min(q.at for q in reqs) - sent, max(q.at for q in reqs) - sent) if reqs else (math.nan, math.nan),
        "updates": len(updates),
    }


def measure_bom(quick: bool, seed: int) -> Figures:
    rng = random.Random(seed + 13)
    catalog = server_catalog()
    clones = [p["mpn"] for p in catalog if "-B" in p["mpn"]]  # clones match one part each; a base prefix-matches its clones
    rng.shuffle(clones)
    lines, rounds, warm = 200, (1 if quick else 3), 5
    out: Figures = {}
    with serving(catalog, LATENCY) as (server, nexar, slack):
        sender = Sender(server, slack)
        idle: list[float] = []
        for i in range(3):  # first-use costs, then the idle round trip of one miss
            sent, _, _ = sender.command(clones.pop(), f"idle-{i}")
            slack.wait_answers([f"idle-{i}"], 30)
            if i:
                idle.append(slack.arrivals()[f"idle-{i}"] - sent)
        sender.close()
        rt = pct(idle, 50)
        progress(f"bom: warm-up, a {warm}-line BOM")
        first = price_one(server, nexar, slack, rng, [clones.pop() for _ in range(warm)], 0)
        results = []
        for r in range(rounds):
            progress(f"bom: round {r + 1} of {rounds}, a {lines}-distinct-line BOM at {LATENCY} s")
            results.append(price_one(server, nexar, slack, rng, [clones.pop() for _ in range(lines)], r + 1))

    def each(key: str, fmt: str) -> str:
        return " / ".join(format(x[key], fmt) for x in results)

    out["idle round trip s (one /part miss)"] = f"{rt:.3f}"
    out[f"warm-up {warm}-line BOM: summary s"] = f"{first['summary']:.3f}"
    out[f"{lines}-line BOM, {rounds} round(s): mention ack ms"] = " / ".join(ms(x["ack"]) for x in results)
    out["mention → summary (last chat.update) s"] = each("summary", ".3f")
    out["mention → CSV uploaded s"] = each("upload", ".3f")
    worst = max((x["summary"] for x in results), default=math.nan)
    out["summary, worst / idle round trip (goal ≤ 3)"] = f"{worst / rt:.2f}×"
    out["CSV upload, worst / idle round trip"] = f"{max(x['upload'] for x in results) / rt:.2f}×"
    out["Nexar requests"] = each("requests", "d")
    out["Nexar requests arrive s (first–last)"] = " / ".join(f"{x['arrive'][0]:.2f}–{x['arrive'][1]:.2f}" for x in results)
    out["max Nexar requests in flight"] = each("in_flight", "d")
    out[f"matched parts billed (asked {lines})"] = each("parts", "d")
    out["summary: lines priced"] = " / ".join(x["priced"] for x in results)
    out["priced CSV"] = " / ".join(x["csv"] for x in results)
    out["chat.update calls (progress + summary)"] = each("updates", "d")
    return out
