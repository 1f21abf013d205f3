"""Load clients for the server sections: signed requests, closed- and open-loop senders, a client process."""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import threading
import time
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

import httpx

from tests.conftest import SIGNING_SECRET
from tests.fakes.signing import signed_headers, slash_command_body
from tests.fakes.slack import FakeSlack


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


async def exchange_or_reconnect(port: int, conn: Conn, request: bytes) -> tuple[int, Conn]:
    """The HTTP status of `request` on `conn`, and the connection to use next: status 0 and a
    new connection when this one broke."""
    try:
        return await _exchange(*conn, request), conn
    except (OSError, ValueError, IndexError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
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
                status, (reader, writer) = await exchange_or_reconnect(port, (reader, writer), request)
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
            status, conn = await exchange_or_reconnect(port, await pool.get(), request)
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
