"""Section door (issue 10): what an outsider or a sick store costs the server.

A 100 MiB unsigned body (Content-Length and chunked): memory growth of every serving
process, the status, what reached the log. Signed acks while 300 connections trickle a
body a byte every 5 s. Ack times with Redis stopped (SIGSTOP) and with SQLite write-locked,
and whether each user still got an answer or a message.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import random
import shutil
import signal
import socket
import sqlite3
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import httpx

from bench.clients import from_client_process, signed_command
from bench.common import ms, pct, progress
from bench.serving import BenchSlack, ServerProcess, mixed_text, server_catalog, serving
from tests.conftest import SIGNING_SECRET, RedisProcess, mention
from tests.fakes.signing import event_body, signed_headers, slash_command_body

Figures = dict[str, str]
MiB = 1024 * 1024
CLIENT_TIMEOUT = 60.0


def memory(server: ServerProcess) -> tuple[float, float]:
    """(VmRSS, VmHWM) summed over every process of the deployment, MiB."""
    rss = hwm = 0.0
    for pid in server.processes():
        with suppress(OSError):
            r, h = server.memory(pid)
            rss, hwm = rss + r, hwm + h
    return rss, hwm


def send_big(port: int, size: int, chunked: bool) -> str:
    """Send an unsigned body of `size` bytes (as fast as the server takes it); the status line, or why none came."""
    head = "POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {size}\r\n\r\n"
    piece = b"A" * MiB
    framed = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
    with socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT) as s:
        try:
            s.sendall(head.encode())
            for _ in range(size // MiB):
                s.sendall(framed)
            if chunked:
                s.sendall(b"0\r\n\r\n")
        except OSError as exc:
            note = f" (server closed after refusing: {type(exc).__name__})"
        else:
            note = ""
        try:
            line = s.recv(200).split(b"\r\n", 1)[0].decode("latin-1")
        except OSError as exc:
            line = f"no status ({type(exc).__name__})"
    return line + note


def big_bodies(out: Figures, quick: bool) -> None:
    size = (20 if quick else 100) * MiB
    with serving(server_catalog(), 0.0) as (server, _, _slack):
        for chunked in (False, True):
            kind = "chunked" if chunked else "Content-Length"
            progress(f"door: {size // MiB} MiB unsigned body ({kind})")
            log0 = len(server.output())
            rss0, hwm0 = memory(server)
            status = send_big(server.port, size, chunked)
            time.sleep(1.0)  # let a worker that read the body finish with it
            rss1, hwm1 = memory(server)
            logged = server.output()[log0:]
            label = f"{size // MiB} MiB unsigned body, {kind}"
            out[f"{label}: status"] = status
            out[f"{label}: peak / resident growth MiB (goal < 5)"] = f"{hwm1 - hwm0:.1f} / {rss1 - rss0:.1f}"
            out[f"{label}: log bytes / body logged"] = f"{len(logged)} / {'yes' if 'AAAAAAAA' in logged else 'no'}"


def _trickle(port: int, count: int, seconds: float) -> None:
    """`count` connections sending a signed-looking request's body a byte every 5 s; reconnecting when cut off."""

    async def one() -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                head = "POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n"
                head += f"X-Slack-Request-Timestamp: {int(time.time())}\r\nX-Slack-Signature: v0=00\r\n\r\n"
                writer.write(head.encode())
                while time.monotonic() < end:
                    writer.write(b"{")
                    await writer.drain()
                    await asyncio.sleep(5)
                    if reader.at_eof():
                        break
                writer.close()
            except OSError:
                await asyncio.sleep(0.5)

    async def main() -> None:
        await asyncio.gather(*(one() for _ in range(count)))

    asyncio.run(main())


def slow_bodies(out: Figures, quick: bool, seed: int) -> None:
    rng = random.Random(seed + 12)
    count, rate, seconds = (100 if quick else 300), 20, (3 if quick else 5)
    catalog = server_catalog()
    mpns = [p["mpn"] for p in catalog]
    with serving(catalog, 0.3) as (server, _, slack):
        progress(f"door: {count} slow-body connections, then signed commands at {rate}/s")
        ctx = multiprocessing.get_context("spawn")
        attacker = ctx.Process(target=_trickle, args=(server.port, count, seconds + 40), name="bench-slow-bodies")
        attacker.start()
        try:
            time.sleep(3)  # every connection open and its headers sent
            jobs = [(mixed_text(rng, mpns), f"slow-{i}", f"U{i % 50:03d}") for i in range(rate * seconds)]
            built = [signed_command(server.port, slack, t, n, u) for t, n, u in jobs]
            results = from_client_process(f"open loop {rate}/s", server.port, built, 50, timeout=30)
            health = _health(server.url)
        finally:
            attacker.terminate()
            attacker.join(10)
        acks = [acked - sent for sent, acked, status in results if status == 200]
        lost = len(jobs) - len(acks)
        acks += [math.inf] * lost
        out[f"{count} slow bodies open: signed ack p50 / p99 ms (goal p99 < 100)"] = f"{ms(pct(acks, 50))} / {ms(pct(acks, 99))}"
        out[f"{count} slow bodies open: acks not 200 within 30 s"] = f"{lost} of {len(jobs)}"
        out[f"{count} slow bodies open: /healthz"] = health


def _health(url: str) -> str:
    t0 = time.monotonic()
    try:
        status = httpx.get(url + "/healthz", timeout=CLIENT_TIMEOUT).status_code
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__} after {time.monotonic() - t0:.1f} s"
    return f"{status} in {ms(time.monotonic() - t0)} ms"


def _timed_post(url: str, body: bytes, content_type: str) -> float:
    t0 = time.monotonic()
    try:
        status = httpx.post(
            url + "/slack/events",
            content=body,
            headers=signed_headers(SIGNING_SECRET, body, content_type=content_type),
            timeout=CLIENT_TIMEOUT,
        ).status_code
    except httpx.HTTPError:
        return math.inf
    return time.monotonic() - t0 if status == 200 else math.inf


def sick(
    out: Figures,
    label: str,
    server: ServerProcess,
    slack: BenchSlack,
    make_sick: Callable[[], object],
    heal: Callable[[], object],
) -> None:
    """Ack times while the store is sick, then whether every user heard back once it healed."""
    form, json_type = "application/x-www-form-urlencoded", "application/json"
    progress(f"door: {label}")
    slug = label.split()[0].lower()
    make_sick()
    try:
        times: dict[str, list[float]] = {"usage": [], "lookup": [], "mention": []}
        for i in range(3):
            usage = slash_command_body("usage", user_id="U1", response_url=slack.response_url(f"{slug}-u{i}"))
            times["usage"].append(_timed_post(server.url, usage, form))
            lookup = slash_command_body(f"NE555DR x{i + 1}", user_id="U1", response_url=slack.response_url(f"{slug}-l{i}"))
            times["lookup"].append(_timed_post(server.url, lookup, form))
            event = event_body(mention(f"LM358DR x{i + 1}", ts=f"17000000{i}.000100"), event_id=f"Ev{slug}{i}")
            times["mention"].append(_timed_post(server.url, event, json_type))
        health = _health(server.url)
    finally:
        heal()
    for kind, values in times.items():
        out[f"{label}: {kind} ack max ms (goal < 500)"] = ms(max(values))
    out[f"{label}: /healthz"] = health
    lookups = [f"{slug}-l{i}" for i in range(3)]
    missing = slack.wait_answers(lookups, 60)
    deadline = time.monotonic() + 60
    while len(slack.calls_to("chat.postMessage")) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    out[f"{label}: lookups / mentions answered after"] = (
        f"{3 - len(missing)}/3 / {min(len(slack.calls_to('chat.postMessage')), 3)}/3"
    )


def sick_stores(out: Figures) -> None:
    binary = shutil.which("redis-server")
    if binary is not None:
        redis = RedisProcess(binary)
        try:
            with serving(server_catalog(), 0.0, REDIS_URL=redis.url) as (server, _, slack):
                proc = redis.proc
                assert proc is not None
                sick(
                    out,
                    "Redis stopped",
                    server,
                    slack,
                    lambda: proc.send_signal(signal.SIGSTOP),
                    lambda: proc.send_signal(signal.SIGCONT),
                )
        finally:
            redis.stop()
    with serving(server_catalog(), 0.0) as (server, _, slack):
        db = str(Path(server.log_path).with_name("partbot.sqlite3"))
        lock = sqlite3.connect(db, isolation_level=None, timeout=30)
        sick(out, "SQLite write-locked", server, slack, lambda: lock.execute("BEGIN EXCLUSIVE"), lambda: lock.execute("ROLLBACK"))
        lock.close()


def measure_door(quick: bool, seed: int) -> Figures:
    out: Figures = {}
    big_bodies(out, quick)
    slow_bodies(out, quick, seed)
    sick_stores(out)
    return out
