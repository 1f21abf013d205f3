"""Watches: made, listed and removed by their owners; judged by every fresh answer of their
part (anyone's lookup, at no cost); checked at the team's cost only when nobody asked.

Checks go through the lookup service as `WATCH_MEMBER`, so they share its cache, its
single flight and its Nexar batching, and are billed to the workspace's month under the
watch budget, never to a person's day. Alerts are left pending on the watch; the
scheduler (`bot.service.watch_scheduler`) posts them.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.domain.commands import AddWatch, Lookup
from bot.domain.models import LineItem, LookupKey, Options, SearchResult, normalize_mpn
from bot.domain.outcomes import Answer, Failed, OverQuota
from bot.domain.watch_outcomes import Unwatched, WatchBudget, WatchCreated, WatchList, WatchOffer, WatchRefused
from bot.domain.watch_schedule import month_end, next_check, period
from bot.domain.watches import USER_LIMIT, WORKSPACE_LIMIT, Hit, Watch, advance, evaluate, failed
from bot.ports import MAX_MULTI_QUERIES, WatchStore
from bot.service.lookup import LookupService
from bot.service.quota import WATCH_MEMBER

log = logging.getLogger(__name__)

RETRY_AFTER = 900.0
"""After a failed check, the part is tried again this many seconds later (or at its period)."""
MIN_AGE = 60.0
_ID_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class Place:
    """Where the watch was made, and whether alerts can be posted there."""

    channel: str
    thread_ts: str | None = None
    by_dm: bool = False
    note: str | None = None


@dataclass
class WatchStats:
    rode: int = 0
    """Parts whose watches were judged by someone else's fresh lookup."""
    checks: int = 0
    """Parts the scheduler looked up."""
    spent: int = 0
    """Matched parts those lookups were billed."""
    failed: int = 0


class WatchService:
    def __init__(
        self,
        store: WatchStore,
        lookups: LookupService,
        *,
        every: int,
        max_age: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store, self.lookups, self.every, self.clock = store, lookups, every, clock
        self.max_age = max(max_age, MIN_AGE)
        self.stats = WatchStats()
        lookups.observers.append(self.on_fresh)

    # commands -----------------------------------------------------------------
    def offer(self, workspace: str, user: str, cmd: AddWatch, place: Place) -> WatchOffer | WatchRefused:
        """The watch `cmd` asks for, judged by a lookup now and shown with its cost; nothing
        is saved (`start` saves it when the asker accepts)."""
        existing = self._all(workspace)
        refused = _limits(existing, user)
        if refused:
            return refused
        now = self.clock()
        opts = cmd.options
        watch = Watch(
            _new_id(), user, cmd.item.mpn, cmd.item.quantity, cmd.below, opts.currency, opts.country, opts.all_sellers,
            cmd.item.mfr or opts.mfr, place.channel, place.thread_ts, place.by_dm, now,
        )  # fmt: skip
        answer = self.lookups.lookup(workspace, user, Lookup((cmd.item,), replace(opts, public=False)))
        hit = None
        found = answer.answers[0].result if isinstance(answer, Answer) else None
        if found is not None and found.part is None:
            close = ", ".join(f"`{m}`" for m in found.suggestions[:5])
            return WatchRefused(f"Nexar knows no part `{cmd.item.mpn}`", f"Did you mean {close}?" if close else "")
        if isinstance(answer, Answer) and answer.answers[0].error is None and found is not None:
            part = answer.answers[0]
            verdict = evaluate(watch, part.result, part.fetched_at or now, self.clock(), self.max_age)  # type: ignore[arg-type]
            if verdict is not False:
                watch = advance(watch, verdict, part.fetched_at or now, announce=False)
                hit = verdict
        budget = self.budget(workspace, [*existing, watch], now)
        sharing = sum(1 for w in existing if w.part_key == watch.part_key)
        return WatchOffer(watch, answer, hit, budget, sharing, place.note)

    def start(self, workspace: str, watch: Watch, place_note: str | None = None) -> WatchCreated | WatchRefused:
        """Save an accepted offer's watch, its limits checked again atomically."""
        now = self.clock()
        watch = replace(watch, created_at=now)
        refusal = self.store.add_watch(workspace, watch.to_json(), USER_LIMIT, WORKSPACE_LIMIT)
        if refusal:
            return _limit_message(refusal)
        watches = self._all(workspace)
        budget = self.budget(workspace, watches, now)
        mine = [w for w in watches if w.part_key == watch.part_key]
        due = None if budget.period is None else next_check(mine, budget.period)
        return WatchCreated(watch, budget, due, len(mine) - 1, place_note)

    def listing(self, workspace: str, user: str) -> WatchList:
        now = self.clock()
        watches = self._all(workspace)
        budget = self.budget(workspace, watches, now)
        by_part = _by_part(watches)
        nexts = {k: (None if budget.period is None else next_check(ws, budget.period)) for k, ws in by_part.items()}
        return WatchList(tuple(w for w in watches if w.user == user), nexts, budget, now)

    def remove(self, workspace: str, user: str, target: str) -> Unwatched:
        mine = [w for w in self._all(workspace) if w.user == user]
        chosen = [w for w in mine if w.id == target.upper()] or [w for w in mine if normalize_mpn(w.mpn) == normalize_mpn(target)]
        removed = tuple(w for w in chosen if self.store.remove_watch(workspace, w.id))
        return Unwatched(removed, target)

    def remove_one(self, workspace: str, user: str, watch_id: str) -> Watch | None:
        """The "Stop watching" button: only the watch's owner removes it."""
        for w in self._all(workspace):
            if w.id == watch_id and w.user == user and self.store.remove_watch(workspace, w.id):
                return w
        return None

    def budget(self, workspace: str, watches: Sequence[Watch], now: float) -> WatchBudget:
        view = self.lookups.ledger.view(workspace, WATCH_MEMBER)
        limit = view.watch_limit
        left = max(min(limit - view.watch_spent, view.team_left), 0)
        parts = len({w.part_key for w in watches})
        return WatchBudget(
            view.watch_spent, limit, view.team_left, parts, self.every, period(self.every, parts, left, now), month_end(now)
        )

    # judging ------------------------------------------------------------------
    def on_fresh(self, user: str, key: LookupKey, result: SearchResult, fetched_at: float) -> None:
        """A lookup fetched `key` fresh: judge every watch of that part, in any workspace."""
        found = self.store.watches_of_part(key.cache_key())
        if found and user != WATCH_MEMBER:
            self.stats.rode += 1
        for workspace, raw in found:
            self._judge(workspace, raw, result, fetched_at)

    def _judge(self, workspace: str, raw: dict[str, Any], result: SearchResult, fetched_at: float) -> None:
        for _ in range(3):
            watch = Watch.from_json(raw)
            if watch.last_checked is not None and watch.last_checked >= fetched_at:
                return  # already judged by this answer or a newer one
            verdict = evaluate(watch, result, fetched_at, self.clock(), self.max_age)
            if verdict is False:
                return
            if self._save(workspace, watch, advance(watch, verdict, fetched_at)):
                return
            again = self._get(workspace, watch.id)
            if again is None:
                return
            raw = again

    def _save(self, workspace: str, old: Watch, new: Watch) -> bool:
        return self.store.update_watch(workspace, replace(new, rev=old.rev + 1).to_json(), old.rev)

    def _get(self, workspace: str, watch_id: str) -> dict[str, Any] | None:
        return next((w for w in self.store.watches(workspace) if w["id"] == watch_id), None)

    def _all(self, workspace: str) -> list[Watch]:
        return [Watch.from_json(w) for w in self.store.watches(workspace)]

    # paid checks --------------------------------------------------------------
    def run_checks(self, now: float) -> None:
        """Look up every watched part that is due (nobody's lookup judged it within its
        period), workspace by workspace, within what is left of each one's watch budget."""
        for workspace in self.store.watched_workspaces():
            try:
                self._check_workspace(workspace, now)
            except Exception:
                log.exception("watch checks of a workspace failed; they retry at the next tick")

    def _check_workspace(self, workspace: str, now: float) -> None:
        watches = self._all(workspace)
        budget = self.budget(workspace, watches, now)
        if budget.period is None:
            return
        due = [ws for ws in _by_part(watches).values() if next_check(ws, budget.period) <= now][: budget.left]
        groups: dict[tuple[str, str, bool], list[Watch]] = defaultdict(list)
        for ws in due:
            groups[(ws[0].currency, ws[0].country, ws[0].all_sellers)].append(ws[0])
        for (currency, country, all_sellers), firsts in groups.items():
            options = Options(all_sellers, currency, country)
            for i in range(0, len(firsts), MAX_MULTI_QUERIES):
                chunk = firsts[i : i + MAX_MULTI_QUERIES]
                if not self._check(workspace, chunk, options, now, budget.period):
                    return

    def _check(self, workspace: str, firsts: list[Watch], options: Options, now: float, every: float) -> bool:
        """One lookup of these parts; False when the budget ran out (stop for now)."""
        items = tuple(LineItem(w.mpn, 1, w.mfr) for w in firsts)
        outcome = self.lookups.lookup(workspace, WATCH_MEMBER, Lookup(items, options), record=False, allow_stale=False)
        if isinstance(outcome, OverQuota):
            return False
        self.stats.checks += len(firsts)
        if isinstance(outcome, Failed):
            self._failed(workspace, firsts, outcome.message, now, every)
            return True
        self.stats.spent += outcome.cost
        current = _by_part(self._all(workspace))
        for first, part in zip(firsts, outcome.answers, strict=True):
            if part.error is not None or part.result is None:
                self._failed(workspace, [first], part.error or "no answer", now, every)
                continue
            for watch in current.get(first.part_key, ()):
                self._judge(workspace, watch.to_json(), part.result, part.fetched_at or now)
        return True

    def _failed(self, workspace: str, firsts: Iterable[Watch], problem: str, now: float, every: float) -> None:
        """Nexar failed: nobody is alerted, nothing billed; the part is tried again later."""
        self.stats.failed += 1
        keys = {w.part_key for w in firsts}
        for watch in self._all(workspace):
            if watch.part_key in keys:
                self._save(workspace, watch, failed(watch, problem[:200], now + min(every, RETRY_AFTER)))

    # alerts -------------------------------------------------------------------
    def pending(self) -> list[tuple[str, Watch]]:
        return [(ws, w) for ws in self.store.watched_workspaces() for w in self._all(ws) if w.pending is not None]

    def delivered(self, workspace: str, watch: Watch, hit: Hit, *, by_dm: bool) -> bool:
        """The alert for `hit` was posted: clear it (unless a newer one replaced it meanwhile)."""
        for _ in range(3):
            raw = self._get(workspace, watch.id)
            if raw is None:
                return False
            current = Watch.from_json(raw)
            pending = current.pending if current.pending != hit else None
            if self._save(workspace, current, replace(current, pending=pending, by_dm=current.by_dm or by_dm)):
                return True
        return False


def _by_part(watches: Iterable[Watch]) -> dict[str, list[Watch]]:
    out: dict[str, list[Watch]] = defaultdict(list)
    for w in watches:
        out[w.part_key].append(w)
    return dict(out)


def _new_id() -> str:
    return "W" + "".join(secrets.choice(_ID_CHARS) for _ in range(5))


def _limits(existing: Sequence[Watch], user: str) -> WatchRefused | None:
    if sum(1 for w in existing if w.user == user) >= USER_LIMIT:
        return _limit_message("user")
    if len(existing) >= WORKSPACE_LIMIT:
        return _limit_message("workspace")
    return None


def _limit_message(scope: str) -> WatchRefused:
    if scope == "user":
        return WatchRefused(
            f"you have {USER_LIMIT} watches, the most one person may have",
            "Remove one with `/part unwatch ID` (see `/part watches`).",
        )
    return WatchRefused(
        f"this workspace has {WORKSPACE_LIMIT} watches, the most partbot keeps for one workspace",
        "Ask a teammate to remove watches they no longer need (`/part watches`, `/part unwatch ID`).",
    )
