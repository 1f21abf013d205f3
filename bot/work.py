"""Where the listeners' background jobs run: threads here, or a worker process beside us.

A job is a module-level function called as `task(context, *args)`, so that it can be
pickled by name and sent to another process. In HTTP mode the web process sends every
job to one worker process: Python threads share one interpreter lock, so lookups run
beside the acks (JSON, pricing, rendering, HTTP clients) would make each ack queue
behind them. In the worker they run on that process's own lock and CPU.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import queue
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

log = logging.getLogger(__name__)

Task = Callable[..., None]
PRESTART = 32
"""Threads a worker process starts before taking jobs."""


@dataclass(frozen=True)
class Job:
    task: Task
    args: tuple[Any, ...] = ()
    on_error: Task | None = None
    """Called with the same arguments when `task` raises, to tell the user."""


def run_job(context: object, job: Job) -> None:
    try:
        job.task(context, *job.args)
    except Exception:
        log.exception("background job %s failed", job.task.__name__)
        if job.on_error is None:
            return
        try:
            job.on_error(context, *job.args)
        except Exception:
            log.exception("could not tell the user that %s failed", job.task.__name__)


class Runner(Protocol):
    def start(self, context: object) -> None:
        """Begin taking jobs; `context` is what tasks get as their first argument here."""
        ...

    def submit(self, job: Job) -> None: ...

    def alive(self) -> bool: ...

    def close(self) -> None:
        """Stop taking jobs and let the running ones finish."""
        ...


class ThreadRunner:
    def __init__(self, threads: int) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="partbot-work")
        self._context: object = None

    def start(self, context: object) -> None:
        self._context = context

    def prestart(self, count: int) -> None:
        """Start `count` threads now. Started under load, each new thread waits for the
        interpreter lock (up to the 5 ms switch interval) while the submitter waits for it:
        a burst would start dozens that way, one after another."""
        gate = threading.Barrier(count + 1)
        for _ in range(count):
            self._pool.submit(gate.wait)  # each blocks, so the next submit needs a new thread
        gate.wait()

    def submit(self, job: Job) -> None:
        self._pool.submit(run_job, self._context, job)

    def alive(self) -> bool:
        return True

    def close(self) -> None:
        self._pool.shutdown(wait=True)


Setup = Callable[[Any], tuple[object, Callable[[], None]]]
"""Builds a worker process's (context, close) from the picklable `config` the web process gave it."""


class ProcessRunner:
    """Sends jobs over a pipe to a worker process that runs them on its own thread pool.

    `submit` only queues the job: a sender thread pickles it and writes the pipe, so an
    ack never waits for a busy worker to read. The worker is restarted if it dies (its
    jobs in flight are lost, and logged); while it cannot be reached, jobs run on threads
    here, slower but answered. The worker stops when this process closes the pipe (or
    dies), after finishing the jobs it has."""

    RESTART_LIMIT = 5
    STEADY = 60.0
    """A worker that ran this long before dying resets the restart count."""

    def __init__(self, setup: Setup, config: object, threads: int) -> None:
        self._setup, self._config, self._threads = setup, config, threads
        self._lock = threading.Lock()
        self._outbox: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._sender = threading.Thread(target=self._send_loop, name="partbot-worker-send", daemon=True)
        self._conn: Connection | None = None
        self._process: BaseProcess | None = None
        self._closing = False
        self._restarts = 0
        self._fallback: ThreadRunner | None = None
        self._context: object = None
        self._started = 0.0

    def start(self, context: object) -> None:
        self._context = context
        with self._lock:
            self._spawn()
        self._sender.start()
        # Before multiprocessing's own exit handler, which would wait for the worker while
        # the worker waits for this end of the pipe to close.
        atexit.register(self.close)

    def _spawn(self) -> None:
        mp = multiprocessing.get_context("spawn")  # fork is unsafe from a process that already runs threads
        receive, send = mp.Pipe(duplex=False)
        process = mp.Process(
            target=_worker_main,
            args=(self._setup, self._config, self._threads, receive),
            name="partbot-worker",
        )
        process.start()
        receive.close()
        self._started = time.monotonic()
        self._conn, self._process = send, process
        threading.Thread(target=self._watch, args=(process,), name="partbot-worker-watch", daemon=True).start()
        log.info("started worker process %s", process.pid)

    def _watch(self, process: BaseProcess) -> None:
        process.join()
        with self._lock:
            if self._closing or process is not self._process:
                return
            log.error("worker process %s exited with %s; jobs it was running are lost", process.pid, process.exitcode)
            self._drop()
            if time.monotonic() - self._started > self.STEADY:
                self._restarts = 0
            if self._restarts < self.RESTART_LIMIT:
                self._restarts += 1
                self._spawn()

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn, self._process = None, None

    def submit(self, job: Job) -> None:
        if self._closing:
            self._run_here(job)
        else:
            self._outbox.put(job)

    def _send_loop(self) -> None:
        while (job := self._outbox.get()) is not None:
            with self._lock:
                conn = self._conn
            if conn is None:
                self._run_here(job)
                continue
            try:
                conn.send(job)
            except (OSError, ValueError):
                log.exception("worker process unreachable; running %s here", job.task.__name__)
                with self._lock:
                    if self._conn is conn:
                        self._drop()
                self._run_here(job)
            except Exception:
                log.exception("could not send %s to the worker process; running it here", job.task.__name__)
                self._run_here(job)

    def _run_here(self, job: Job) -> None:
        with self._lock:
            if self._fallback is None:
                self._fallback = ThreadRunner(self._threads)
                self._fallback.start(self._context)
            fallback = self._fallback
        fallback.submit(job)

    def alive(self) -> bool:
        process = self._process
        return process is not None and process.is_alive()

    def close(self, timeout: float = 15.0) -> None:
        """Close the pipe and wait for the worker to finish its jobs (within gunicorn's 20 s
        graceful timeout; a worker still busy after that goes on alone until it is done)."""
        atexit.unregister(self.close)
        if self._closing:
            return
        self._closing = True
        self._outbox.put(None)
        if self._sender.is_alive():
            self._sender.join(timeout)
        with self._lock:
            process = self._process
            if self._conn is not None:
                self._conn.close()
            self._conn = None
        if process is not None:
            process.join(timeout)
            if process.is_alive():
                log.warning("worker process %s is still finishing jobs after %.0f s", process.pid, timeout)
        if self._fallback is not None:
            self._fallback.close()


def _worker_main(setup: Setup, config: object, threads: int, jobs: Connection) -> None:
    # The web process decides when we stop, by closing the pipe; a signal to the whole
    # process group (Ctrl-C, a platform's SIGTERM) must not cut jobs short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    context, close = setup(config)
    runner = ThreadRunner(threads)
    runner.start(context)
    runner.prestart(min(threads, PRESTART))
    try:
        while True:
            try:
                job = jobs.recv()
            except (EOFError, OSError):
                break
            except Exception:
                log.exception("could not read a job sent to the worker process")
                continue
            runner.submit(job)
    finally:
        runner.close()
        close()
