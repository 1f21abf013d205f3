"""The watch scheduler: a thread of the app that, every few seconds, takes the store's lease
(so that of several processes exactly one works at a time), looks up the watched parts that
are due and posts the pending alerts, paced per channel.

`check_due(now)` is one such step; tests call it with their own clock instead of waiting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.watches import Hit, Watch
from bot.ports import Leases
from bot.service.watches import WatchService

log = logging.getLogger(__name__)

LEASE_KEY = "lease:watch-scheduler"
LEASE_TTL = 300.0
TICK = 20.0
CHANNEL_GAP = 1.0
"""Seconds between two alerts to one channel (Slack allows about one message a second)."""


@dataclass(frozen=True)
class Sent:
    """How an alert went: posted (where: "channel" or "dm"), or not (kept pending)."""

    ok: bool
    by_dm: bool = False
    channel: str = ""


Sender = Callable[[str, Watch, Hit], Sent]
"""Posts the alert of a watch (workspace key, watch, its pending hit)."""


@dataclass
class StepReport:
    ran: bool = False
    sent: int = 0
    kept: int = 0


class WatchScheduler:
    def __init__(
        self,
        watches: WatchService,
        leases: Leases,
        send: Sender,
        *,
        tick: float = TICK,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.watches, self.leases, self.send, self.tick = watches, leases, send, tick
        self.sleep, self.monotonic = sleep, monotonic
        self._last_post: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="watch-scheduler", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.tick):
            try:
                self.check_due(time.time())
            except Exception:
                log.exception("a watch scheduler step failed; trying again in %.0f s", self.tick)

    def check_due(self, now: float) -> StepReport:
        """Check the due parts and post the pending alerts, if this process holds the lease."""
        report = StepReport()
        token = self.leases.lease(LEASE_KEY, LEASE_TTL)
        if token is None:
            return report
        report.ran = True
        try:
            self.watches.run_checks(now)
            for workspace, watch in self.watches.pending():
                assert watch.pending is not None
                sent = self._post(workspace, watch, watch.pending)
                if sent.ok and self.watches.delivered(workspace, watch, watch.pending, by_dm=sent.by_dm):
                    report.sent += 1
                else:
                    report.kept += 1
        finally:
            self.leases.release_lease(LEASE_KEY, token)
        return report

    def _post(self, workspace: str, watch: Watch, hit: Hit) -> Sent:
        channel = watch.user if watch.by_dm else watch.channel
        wait = self._last_post.get(channel, -CHANNEL_GAP) + CHANNEL_GAP - self.monotonic()
        if wait > 0:
            self.sleep(wait)
        try:
            sent = self.send(workspace, watch, hit)
        except Exception:
            log.exception("posting a watch alert failed; it stays pending")
            sent = Sent(False)
        self._last_post[sent.channel or channel] = self.monotonic()
        return sent
