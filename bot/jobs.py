"""Listener work off the request thread: one bounded thread pool in the serving process.

Bolt apps ack first and work after; Bolt's own lazy listeners do that on its listener
executor. One pool of our own does the same and lets a shutdown wait for the work in
flight (Bolt's executor offers no drain). Lookups mostly wait on Nexar and Slack, so
threads are cheap here; more throughput comes from more processes sharing one store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class Jobs:
    def __init__(self, threads: int) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="partbot-job")
        self._lock = threading.Lock()
        self._pending: set[Future[object]] = set()
        self._closed = False

    def submit(self, fn: Callable[[], T], name: str = "") -> Future[T]:
        """Run `fn()` in the pool. An exception it raises is logged (the task itself tells the
        user); the future still carries it for a caller that waits."""
        with self._lock:
            if self._closed:
                raise RuntimeError("partbot is shutting down")
            future = self._pool.submit(fn)
            self._pending.add(future)  # type: ignore[arg-type]
        label = name or getattr(fn, "__name__", "job")

        def finished(done: Future[T]) -> None:
            with self._lock:
                self._pending.discard(done)
            exc = done.exception()
            if exc is not None:
                log.error("background job %s failed", label, exc_info=exc)

        future.add_done_callback(finished)
        return future

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until every job submitted so far has finished (True), or `timeout` passed."""
        with self._lock:
            pending = set(self._pending)
        _, unfinished = wait(pending, timeout=timeout)
        return not unfinished

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def close(self, timeout: float = 25.0) -> None:
        """Take no new jobs; wait up to `timeout` for the ones queued or running (any still
        unfinished go on until the process exits)."""
        with self._lock:
            self._closed = True
            pending = set(self._pending)
        if pending:
            log.info("waiting up to %.0f s for %d job(s) in flight", timeout, len(pending))
        _, unfinished = wait(pending, timeout=timeout)
        if unfinished:
            log.warning("%d job(s) still unfinished after %.0f s", len(unfinished), timeout)
        self._pool.shutdown(wait=False)
