"""The production server (`python -m bot serve`, from any tree) and the fakes and load clients around it."""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.managers import BaseManager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

import tests.fakes.nexar as fake_nexar_module
from bench.common import UNLIMITED, children, item_text, speed_up_fakes, synth_parts, typo
from tests.conftest import NEXAR_ID, NEXAR_SECRET, SIGNING_SECRET, bot_env
from tests.fakes.nexar import FakeNexar
from tests.fakes.signing import signed_headers, slash_command_body
from tests.fakes.slack import FakeSlack
from tests.serve import ServeProcess

# --- the production server and the fakes it talks to ----------------------------------------------


@dataclass
class Target:
    """The tree whose `python -m bot serve` the server sections measure, and its label."""

    root: Path
    label: str


TARGET = Target(Path(__file__).resolve().parents[1], "this tree")


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


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
        super().__init__(env, workdir, root=TARGET.root)

    def workers(self) -> list[int]:
        """PIDs of the web workers: a gunicorn or uvicorn master's children, else the one serving process."""
        return [p for p in children(self.proc.pid) if b"resource_tracker" not in _cmdline(p)] or [self.proc.pid]

    def processes(self) -> list[int]:
        """Every process of the deployment: the one started and all its descendants."""
        out, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children(pid))
        return out

    def pss(self) -> float:
        """Proportional set size of every process of the deployment, MiB (pages shared by forked
        processes count once in all)."""
        total = 0
        for pid in self.processes():
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024

    def lookup_workers(self) -> list[int]:
        """PIDs of the worker processes the web workers spawned for lookups (not multiprocessing's resource tracker)."""
        out: list[int] = []
        for web in self.workers():
            for pid in children(web):
                if b"spawn_main" in _cmdline(pid) and pid not in self.workers():
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

    def take_max_in_flight(self) -> int:
        """The most GraphQL requests in the fake at once since the last call (then start again from now)."""
        with self.fake._lock:
            most, self.fake.max_in_flight = self.fake.max_in_flight, self.fake.in_flight
        return most

    def set_latency(self, latency: float) -> None:
        self.fake.latency = latency

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

    def take_max_in_flight(self) -> int:
        return int(self._host.take_max_in_flight())

    def set_latency(self, latency: float) -> None:
        self._host.set_latency(latency)

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
