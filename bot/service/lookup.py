"""The lookup service: quota → cache → Nexar, returning outcomes (never Slack messages).

Order of work for a lookup:
1. answers still in the cache are free, even over quota;
2. the misses are claimed through single-flight, so simultaneous identical questions
   make one request;
3. the leader reserves its worst case (one matched part per MPN: every query has
   `limit: 1`), calls Nexar (one `supSearchMpn`, or `supMultiMatch` per 20 MPNs or
   for a manufacturer), settles the reservation to the parts actually returned (plus
   those of a request Nexar may have run without answering: `PossiblyBilled`) and
   caches the answers. A list of more than 20 MPNs (a BOM) sends its `supMultiMatch`
   requests with at most `concurrency` in flight, under the one reservation made for
   all of them.

Quotas, recent lookups and the people asking belong to a workspace (`Workspace.key`);
the answer cache and the flights are shared by every workspace.

A lookup that cannot be paid for, or that Nexar cannot answer, falls back to the last
stored answer of each part (`bot.service.stale`), billed nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

from bot.domain.commands import Lookup
from bot.domain.models import LineItem, LookupKey, Options, SearchResult
from bot.domain.outcomes import Answer, Failed, Outcome, OverQuota, PartAnswer, QuotaView, Refusal
from bot.domain.recent import RecentLookup
from bot.ports import LookupStore, PartSource, PossiblyBilled, SourceError, StoreError
from bot.service.cache import AnswerCache
from bot.service.quota import QuotaLedger, TeamBudget
from bot.service.recent import record_answers
from bot.service.requests import ask_all
from bot.service.singleflight import SingleFlight
from bot.service.stale import refusal_reason, stale_answers

log = logging.getLogger(__name__)

PARTS_PER_QUERY = 1
RECENT_KEEP = 10
FLIGHT_WAIT = 90.0
LEASE_TTL = 60.0
LEASE_POLL = 0.05
CONCURRENCY = 5


class StoreUnavailable(SourceError):
    user_message = "partbot cannot reach its database right now, so it cannot count quota. Please try again shortly."


@dataclass
class _Resolved:
    result: SearchResult | None
    stored_at: float
    from_cache: bool
    error: SourceError | None = None
    stale: str | None = None


class _LeaderRefused(Exception):
    """The leader of a flight was over its own quota; followers try for themselves."""


class _OverQuota(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.scope)
        self.refusal = refusal


@dataclass
class _Run:
    workspace: str
    user: str
    cost: int = 0
    progress: Callable[[int, int], None] | None = None
    team_budget: TeamBudget | None = None
    done: int = 0
    total: int = 0
    resolved: dict[str, _Resolved] = field(default_factory=dict)


class LookupService:
    def __init__(
        self,
        source: PartSource,
        store: LookupStore,
        *,
        cache_ttl: int,
        user_daily: int,
        team_monthly: int,
        user_bom_monthly: int = 0,
        stale_max_age: int = 0,
        concurrency: int = CONCURRENCY,
        watch_monthly: int = 0,
        plan_monthly: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source, self.store, self.clock = source, store, clock
        self.concurrency = max(concurrency, 1)
        self.cache = AnswerCache(store, cache_ttl, stale_max_age=stale_max_age, clock=clock)
        self.ledger = QuotaLedger(
            store, user_daily, team_monthly, user_bom_monthly, watch_monthly=watch_monthly, plan_monthly=plan_monthly, clock=clock
        )
        self.observers: list[Callable[[str, LookupKey, SearchResult, float], None]] = []
        """Called with (who asked, key, answer, fetched at) for every answer fetched fresh."""
        self.flights: SingleFlight[_Resolved] = SingleFlight()

    # public -------------------------------------------------------------------
    def lookup(
        self,
        workspace: str,
        user: str,
        lookup: Lookup,
        *,
        progress: Callable[[int, int], None] | None = None,
        record: bool = True,
        team_budget: TeamBudget | None = None,
        allow_stale: bool = True,
    ) -> Outcome:
        """Answer every item of `lookup`. `progress(done, total)` follows Nexar batches.
        With `team_budget`, the parts bought come from the team's month instead of the
        user's day (a BOM priced from the team budget). `allow_stale=False`: no stored
        answer stands in for one Nexar did not give (a watch check must fail instead)."""
        keys = [self._key(item, lookup.options) for item in lookup.items]
        run = _Run(workspace, user, progress=progress, team_budget=team_budget)
        try:
            self._fetch(run, list({k.cache_key(): k for k in keys}.values()))
        except _OverQuota as exc:
            fits, why = self._fits(run, keys, exc.refusal), refusal_reason(exc.refusal)
            stale = self._fall_back(run, keys, why) if allow_stale else 0
            if run.cost == 0 and not stale:
                return OverQuota(exc.refusal, lookup.items, fits, self.source.is_sample)
            # Some parts were bought for this request, or stored answers found: answer with them.
            refused = SourceError("over quota", f"Not looked up: {why}.")
            for key in keys:
                run.resolved.setdefault(key.cache_key(), _Resolved(None, self.clock(), False, refused))
        except StoreUnavailable as exc:
            return Failed(exc.user_message, lookup.items)
        if allow_stale:
            self._fall_back(run, keys, None)
        answers = tuple(self._answer(item, run.resolved[key.cache_key()]) for item, key in zip(lookup.items, keys, strict=True))
        errors = {a.error for a in answers}
        if all(a.error for a in answers) and len(errors) == 1:
            return Failed(answers[0].error or "", lookup.items)
        quota = self._quota_view(workspace, user)
        now = self.clock()
        answer = Answer(answers, lookup.options, run.cost, quota, self.source.is_sample, now, lookup.understood)
        if record:
            record_answers(self.store, workspace, user, answer.rows, now, RECENT_KEEP)
        return answer

    def _fits(self, run: _Run, keys: Sequence[LookupKey], refusal: Refusal) -> int:
        """How many lines of the request the remaining quota (user's and team's) would answer."""
        view = self._quota_view(run.workspace, run.user)
        if view is None:
            left = refusal.left
        elif run.team_budget is not None:  # a team-budget BOM never spends the user's day
            left = min(view.team_left, refusal.left)
        else:
            left = min(view.user_left, view.team_left, refusal.left)
        fits, misses = 0, set[str]()
        for key in keys:
            ck = key.cache_key()
            if ck not in run.resolved and ck not in misses:
                if len(misses) * PARTS_PER_QUERY >= left:
                    continue
                misses.add(ck)
            fits += 1
        return fits

    def cached(self, item: LineItem, options: Options) -> PartAnswer | None:
        """`item`'s answer if the cache holds a fresh one (free, no quota asked), else None."""
        hit = self.cache.get(self._key(item, options).cache_key())
        return None if hit is None else PartAnswer(item, hit[0], None, hit[1], True)

    def _fall_back(self, run: _Run, keys: Sequence[LookupKey], unpaid: str | None) -> int:
        """Stale answers for what Nexar could not answer or (`unpaid` says why) was not paid for."""
        errors = {ck: r.error for ck, r in run.resolved.items()}
        found = stale_answers(self.cache, [k.cache_key() for k in keys], errors, unpaid)
        for ck, (result, stored_at, why) in found.items():
            run.resolved[ck] = _Resolved(result, stored_at, True, stale=why)
        return len(found)

    def quota(self, workspace: str, user: str) -> QuotaView | None:
        return self._quota_view(workspace, user)

    def top_spenders(self, workspace: str) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        return self.ledger.top_spenders(workspace)

    def plan_use(self) -> tuple[int, int] | None:
        return self.ledger.plan_use()

    def remember(self, workspace: str, user: str, entry: RecentLookup) -> None:
        """Add `entry` to the user's recent lookups (a BOM is one entry, not one per line)."""
        try:
            self.store.add_recent(workspace, user, entry, RECENT_KEEP)
        except Exception:
            log.exception("could not record a recent lookup")

    def recent(self, workspace: str, user: str, n: int = RECENT_KEEP) -> list[RecentLookup]:
        try:
            return self.store.recent(workspace, user, n)
        except Exception:
            log.exception("could not read recent lookups")
            return []

    # internals ----------------------------------------------------------------
    @staticmethod
    def _key(item: LineItem, options: Options) -> LookupKey:
        mfr = item.mfr or options.mfr
        return LookupKey(item.mpn.strip().upper(), options.currency, options.country, options.all_sellers, mfr, item.by)

    key_of = _key

    def _answer(self, item: LineItem, r: _Resolved) -> PartAnswer:
        if r.error is not None:
            return PartAnswer(item, None, r.error.user_message)
        return PartAnswer(item, r.result, None, r.stored_at, r.from_cache, r.stale)

    def _quota_view(self, workspace: str, user: str) -> QuotaView | None:
        try:
            return self.ledger.view(workspace, user)
        except Exception:
            log.exception("could not read quota")
            return None

    def _fetch(self, run: _Run, keys: Sequence[LookupKey]) -> None:
        pending = {k.cache_key(): k for k in keys}
        run.total = len(pending)
        for _ in range(5):
            for ck in list(pending):
                hit = self.cache.get(ck)
                if hit is not None:
                    run.resolved[ck] = _Resolved(hit[0], hit[1], True)
                    del pending[ck]
            if not pending:
                return
            mine, theirs = self.flights.claim(pending)
            if mine:
                self._lead(run, [pending[ck] for ck in mine])
            for ck, future in theirs.items():
                try:
                    shared = future.result(timeout=FLIGHT_WAIT)
                except _LeaderRefused:
                    continue
                except FutureTimeout:
                    shared = _Resolved(None, self.clock(), False, SourceError("flight timed out"))
                except SourceError as exc:
                    shared = _Resolved(None, self.clock(), False, exc)
                run.resolved[ck] = _Resolved(shared.result, shared.stored_at, True, shared.error)
            for ck in list(pending):
                if ck in run.resolved:
                    del pending[ck]
            if not pending:
                return
        raise SourceError(
            "single-flight did not settle", "partbot is busy with the same parts for other people; please try again."
        )

    def _lead(self, run: _Run, keys: list[LookupKey]) -> None:
        """Fetch `keys` (claimed by this thread); resolve or fail every one of their flights.

        Across processes sharing the store, a lease per key lets one process fetch while the
        others wait for its answer to reach the cache (or for the lease to lapse)."""
        pending, deadline = list(keys), time.monotonic() + LEASE_TTL
        try:
            while pending:
                todo, leased, theirs = [], {}, []
                for key in self._uncached(run, pending):
                    token = self._lease(key)
                    if token is None and time.monotonic() < deadline:
                        theirs.append(key)
                        continue
                    hit = self.cache.get(key.cache_key())  # its last holder may have just finished
                    if hit is not None:
                        self._release_lease(key.cache_key(), token)
                        self._finish(run, key, _Resolved(hit[0], hit[1], True))
                        continue
                    todo.append(key)
                    leased[key.cache_key()] = token
                if todo:
                    self._buy(run, todo, leased)
                if theirs:
                    time.sleep(LEASE_POLL)
                pending = theirs
        except BaseException as exc:
            followers_retry = isinstance(exc, _OverQuota | StoreUnavailable)
            self._fail_all(
                keys, _LeaderRefused() if followers_retry else exc if isinstance(exc, SourceError) else SourceError(repr(exc))
            )
            raise

    def _uncached(self, run: _Run, keys: list[LookupKey]) -> list[LookupKey]:
        todo = []
        for key in keys:
            hit = self.cache.get(key.cache_key())
            if hit is not None:
                self._finish(run, key, _Resolved(hit[0], hit[1], True))
            else:
                todo.append(key)
        return todo

    def _lease(self, key: LookupKey) -> str | None:
        try:
            return self.store.lease(f"lease:{key.cache_key()}", LEASE_TTL)
        except Exception:
            log.warning("lease store failed; fetching %s without one", key.mpn, exc_info=True)
            return ""

    def _buy(self, run: _Run, todo: list[LookupKey], leased: dict[str, str | None]) -> None:
        """Reserve quota for `todo`, ask Nexar, settle, cache and release the leases."""
        try:
            self._buy_leased(run, todo)
        finally:
            for ck, token in leased.items():
                self._release_lease(ck, token)

    def _release_lease(self, ck: str, token: str | None) -> None:
        if not token:
            return
        try:
            self.store.release_lease(f"lease:{ck}", token)
        except Exception:
            log.warning("could not release a lease; it lapses by itself", exc_info=True)

    def _buy_leased(self, run: _Run, todo: list[LookupKey]) -> None:
        amount = len(todo) * PARTS_PER_QUERY if self.source.billed else 0
        try:
            reservation = self.ledger.reserve(run.workspace, run.user, amount, run.team_budget)
        except Exception as exc:
            if isinstance(exc, StoreError):
                log.error("quota store failed: %s", exc)
            else:
                log.exception("quota store failed")
            self._fail_all(todo, _LeaderRefused())
            raise StoreUnavailable(str(exc)) from exc
        if isinstance(reservation, Refusal):
            self._fail_all(todo, _LeaderRefused())
            raise _OverQuota(reservation)
        returned = 0
        try:
            for chunk, results in ask_all(self.source, todo, self.concurrency, PARTS_PER_QUERY):
                for key, res in zip(chunk, results, strict=True):
                    now = self.clock()
                    if isinstance(res, SourceError):
                        returned += PARTS_PER_QUERY if isinstance(res, PossiblyBilled) else 0
                        self._finish(run, key, _Resolved(None, now, False, res))
                        continue
                    returned += 1 if res.part is not None else 0
                    if res.part is None and len(todo) == 1 and key.by == "mpn":
                        res = SearchResult(None, res.hits, self.source.suggest(key.mpn))
                    self.cache.put(key.cache_key(), res, now)
                    self._observe(run.user, key, res, now)
                    self._finish(run, key, _Resolved(res, now, False))
                self._report(run)
        except BaseException as exc:
            self._fail_all(todo, exc if isinstance(exc, SourceError) else SourceError(repr(exc)))
            raise
        finally:
            try:
                self.ledger.settle(reservation, returned)
            except Exception:
                log.exception("could not settle a quota reservation of %d (kept %d)", reservation.amount, returned)
            run.cost += returned

    def _observe(self, user: str, key: LookupKey, result: SearchResult, now: float) -> None:
        for observer in self.observers:
            try:
                observer(user, key, result, now)
            except Exception:
                log.exception("a lookup observer failed; the lookup goes on")

    @staticmethod
    def _report(run: _Run) -> None:
        if run.progress is None:
            return
        try:
            run.progress(run.done, run.total)
        except Exception:
            log.exception("progress report failed; the lookup goes on")

    def _finish(self, run: _Run, key: LookupKey, resolved: _Resolved) -> None:
        ck = key.cache_key()
        run.resolved[ck] = resolved
        run.done += 1
        if resolved.error is not None:
            self.flights.fail(ck, resolved.error)
        else:
            self.flights.resolve(ck, resolved)

    def _fail_all(self, keys: Sequence[LookupKey], error: BaseException) -> None:
        for key in keys:
            self.flights.fail(key.cache_key(), error)
