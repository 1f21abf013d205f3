"""Where the listeners' background jobs run: threads here, or a worker process beside us.

A job is a module-level function called as `task(context, *args)`, so that it can be
pickled by name and sent to another process. In HTTP mode the web process sends every
job to one worker process: Python threads share one interpreter lock, so lookups run
beside the acks (JSON, pricing, rendering, HTTP clients) would make each ack queue
behind them. In the worker they run on that process's own lock and CPU.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import logging
import multiprocessing
import queue
import signal
import sys
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
ACK_EVERY = 0.02
"""How long a worker gathers finished jobs before telling the web process."""


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


def _run_then(context: object, job: Job, then: Callable[[], None]) -> None:
    try:
        run_job(context, job)
    finally:
        then()


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

    def submit(self, job: Job, then: Callable[[], None] | None = None) -> None:
        """Run `job`; then call `then` (whether the job succeeded or not)."""
        if then is None:
            self._pool.submit(run_job, self._context, job)
        else:
            self._pool.submit(_run_then, self._context, job, then)

    def alive(self) -> bool:
        return True

    def close(self) -> None:
        self._pool.shutdown(wait=True)


Setup = Callable[[Any], tuple[object, Callable[[], None]]]
"""Builds a worker process's (context, close) from the picklable `config` the web process gave it."""


class _Worker:
    """One worker process and what this side knows of it."""

    def __init__(self, process: BaseProcess, jobs: Connection, acks: Connection) -> None:
        self.process, self.jobs, self.acks = process, jobs, acks
        self.started = time.monotonic()
        self.outstanding: dict[int, Job] = {}
        self.lock = threading.Lock()
        self.receiver = threading.Thread(target=self._receive, name="partbot-worker-acks", daemon=True)
        self.watcher: threading.Thread | None = None

    def _receive(self) -> None:
        """Forget the jobs the worker says it finished; ends when the worker is gone."""
        while True:
            try:
                done = self.acks.recv()
            except (EOFError, OSError):
                return
            with self.lock:
                for job_id in done:
                    self.outstanding.pop(job_id, None)

    def lost(self) -> list[Job]:
        self.receiver.join(5)
        with self.lock:
            jobs, self.outstanding = list(self.outstanding.values()), {}
        return jobs


class ProcessRunner:
    """Sends jobs over a pipe to a worker process that runs them on its own thread pool.

    `submit` only queues the job: a sender thread pickles it and writes the pipe, so an
    ack never waits for a busy worker to read. The worker says when each job is done. If
    it dies, the jobs it had not finished get their `on_error` here (the user hears that
    something went wrong rather than nothing), and it is restarted; while it cannot be
    reached, jobs run on threads here, slower but answered. The worker stops when this
    process closes the pipe (or dies), after finishing the jobs it has."""

    RESTART_LIMIT = 5
    STEADY = 60.0
    """A worker that ran this long before dying resets the restart count."""

    def __init__(self, setup: Setup, config: object, threads: int) -> None:
        self._setup, self._config, self._threads = setup, config, threads
        self._lock = threading.Lock()
        self._outbox: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._sender = threading.Thread(target=self._send_loop, name="partbot-worker-send", daemon=True)
        self._worker: _Worker | None = None
        self._closing = False
        self._restarts = 0
        self._ids = itertools.count()
        self._fallback: ThreadRunner | None = None
        self._context: object = None

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
        jobs_in, jobs_out = mp.Pipe(duplex=False)
        acks_in, acks_out = mp.Pipe(duplex=False)
        process = mp.Process(
            target=_worker_main,
            args=(self._setup, self._config, self._threads, jobs_in, acks_out),
            name="partbot-worker",
        )
        process.start()
        jobs_in.close()
        acks_out.close()  # so that the worker's death ends the acks with EOF
        worker = _Worker(process, jobs_out, acks_in)
        worker.receiver.start()
        worker.watcher = threading.Thread(target=self._watch, args=(worker,), name="partbot-worker-watch", daemon=True)
        worker.watcher.start()
        self._worker = worker
        log.info("started worker process %s", process.pid)

    def _watch(self, worker: _Worker) -> None:
        worker.process.join()
        with self._lock:
            current = worker is self._worker
            if current:
                self._worker = None
            worker.jobs.close()  # before counting what was lost: a send racing with this fails and runs here
            restart = current and not self._closing
        lost = worker.lost()
        if restart or lost:
            log.error(
                "worker process %s exited with %s; %d job(s) it had not finished get their error message",
                worker.process.pid,
                worker.process.exitcode,
                len(lost),
            )
        for job in lost:
            if job.on_error is not None:
                self._run_here(Job(job.on_error, job.args))
        if not restart:
            return
        with self._lock:
            if time.monotonic() - worker.started > self.STEADY:
                self._restarts = 0
            if self._restarts >= self.RESTART_LIMIT or self._closing:
                log.error("worker process not restarted again; jobs run in this process")
                return
            self._restarts += 1
            try:
                self._spawn()
            except Exception:
                log.exception("could not start a new worker process; jobs run in this process")

    def submit(self, job: Job) -> None:
        with self._lock:
            if not self._closing:
                self._outbox.put(job)
                return
        self._run_here(job)

    def _send_loop(self) -> None:
        while (job := self._outbox.get()) is not None:
            with self._lock:
                worker = self._worker
            if worker is None:
                self._run_here(job)
                continue
            job_id = next(self._ids)
            with worker.lock:
                worker.outstanding[job_id] = job
            try:
                worker.jobs.send((job_id, job))
            except Exception as exc:
                with worker.lock:
                    worker.outstanding.pop(job_id, None)
                if isinstance(exc, OSError | ValueError):
                    log.exception("worker process unreachable; running %s here", job.task.__name__)
                else:
                    log.exception("could not send %s to the worker process; running it here", job.task.__name__)
                self._run_here(job)

    def _run_here(self, job: Job) -> None:
        with self._lock:
            if self._fallback is None:
                self._fallback = ThreadRunner(self._threads)
                self._fallback.start(self._context)
            fallback = self._fallback
        try:
            fallback.submit(job)
        except RuntimeError:  # the pool refuses new work once the interpreter is shutting down
            run_job(self._context, job)

    def alive(self) -> bool:
        worker = self._worker
        return worker is not None and worker.process.is_alive()

    def close(self, timeout: float = 15.0) -> None:
        """Stop taking jobs, close the pipe and wait up to `timeout` for the worker to finish
        its jobs (within gunicorn's 20 s graceful timeout). A worker still busy after that
        goes on alone, even if this process is killed; a clean exit of this process waits
        for it (multiprocessing joins its children)."""
        atexit.unregister(self.close)
        deadline = time.monotonic() + timeout
        with self._lock:
            if self._closing:
                return
            self._closing = True
            self._outbox.put(None)
        if self._sender.is_alive():
            self._sender.join(max(deadline - time.monotonic(), 0))
        with self._lock:
            worker = self._worker
            if worker is not None:
                worker.jobs.close()
        if worker is not None and worker.watcher is not None:
            worker.watcher.join(max(deadline - time.monotonic(), 0))
            if worker.watcher.is_alive():
                log.warning("worker process %s is still finishing jobs after %.0f s", worker.process.pid, timeout)
        if self._fallback is not None:
            self._fallback.close()


def _worker_main(setup: Setup, config: object, threads: int, jobs: Connection, acks: Connection) -> None:
    # The web process decides when we stop, by closing the pipe; a signal to the whole
    # process group (Ctrl-C, a platform's SIGTERM) must not cut jobs short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        context, close = setup(config)
    except Exception:
        log.exception("the worker process could not start")
        sys.exit(1)
    runner = ThreadRunner(threads)
    runner.start(context)
    runner.prestart(min(threads, PRESTART))
    finished: list[int] = []
    news = threading.Condition()
    sending = threading.Lock()

    def send_finished() -> bool:
        with news:
            batch = finished[:]
            finished.clear()
        with sending:
            try:
                acks.send(batch)
            except (OSError, ValueError):
                return False  # the web process is gone; nobody waits for the news
        return True

    def done(job_id: int) -> None:
        with news:
            finished.append(job_id)
            news.notify()

    def report() -> None:
        """Tell the web process which jobs finished, a batch at a time (fewer wake-ups there)."""
        while True:
            with news:
                news.wait_for(lambda: bool(finished))
            time.sleep(ACK_EVERY)
            if not send_finished():
                return

    threading.Thread(target=report, name="partbot-worker-report", daemon=True).start()
    try:
        while True:
            try:
                job_id, job = jobs.recv()
            except (EOFError, OSError):
                break
            except Exception:
                log.exception("could not read a job sent to the worker process")
                continue
            runner.submit(job, then=functools.partial(done, job_id))
    finally:
        runner.close()
        close()
        send_finished()
