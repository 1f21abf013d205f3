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
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace

from bot.domain.commands import Lookup
from bot.domain.models import LineItem, LookupKey, Options, SearchResult
from bot.domain.money import format_money
from bot.domain.outcomes import Answer, Failed, Outcome, OverQuota, PartAnswer, QuotaView, Refusal
from bot.domain.priced import price_row
from bot.domain.recent import RecentLookup
from bot.ports import MAX_MULTI_QUERIES, LookupStore, PartSource, PossiblyBilled, SourceError, StoreError
from bot.service.cache import AnswerCache
from bot.service.quota import QuotaLedger
from bot.service.singleflight import SingleFlight

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
        concurrency: int = CONCURRENCY,
        plan_monthly: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source, self.store, self.clock = source, store, clock
        self.concurrency = max(concurrency, 1)
        self.cache = AnswerCache(store, cache_ttl, clock=clock)
        self.ledger = QuotaLedger(store, user_daily, team_monthly, plan_monthly=plan_monthly, clock=clock)
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
    ) -> Outcome:
        """Answer every item of `lookup`. `progress(done, total)` follows Nexar batches."""
        keys = [self._key(item, lookup.options) for item in lookup.items]
        run = _Run(workspace, user, progress=progress)
        try:
            self._fetch(run, list({k.cache_key(): k for k in keys}.values()))
        except _OverQuota as exc:
            if run.cost == 0:
                return OverQuota(exc.refusal, lookup.items, self._fits(run, keys, exc.refusal), self.source.is_sample)
            # Some parts were already bought for this request: answer with them.
            refused = SourceError("over quota", f"Not looked up: {exc.refusal.scope} quota used up.")
            for key in keys:
                run.resolved.setdefault(key.cache_key(), _Resolved(None, self.clock(), False, refused))
        except StoreUnavailable as exc:
            return Failed(exc.user_message, lookup.items)
        answers = tuple(self._answer(item, run.resolved[key.cache_key()]) for item, key in zip(lookup.items, keys, strict=True))
        errors = {a.error for a in answers}
        if all(a.error for a in answers) and len(errors) == 1:
            return Failed(answers[0].error or "", lookup.items)
        quota = self._quota_view(workspace, user)
        now = self.clock()
        if record:
            self._record(workspace, user, answers, lookup.options, now)
        return Answer(answers, lookup.options, run.cost, quota, self.source.is_sample, now, lookup.understood)

    def _fits(self, run: _Run, keys: Sequence[LookupKey], refusal: Refusal) -> int:
        """How many lines of the request the remaining quota (user's and team's) would answer."""
        view = self._quota_view(run.workspace, run.user)
        left = min(view.user_left, view.team_left, refusal.left) if view else refusal.left
        fits, misses = 0, set[str]()
        for key in keys:
            ck = key.cache_key()
            if ck not in run.resolved and ck not in misses:
                if len(misses) * PARTS_PER_QUERY >= left:
                    continue
                misses.add(ck)
            fits += 1
        return fits

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
        return LookupKey(item.mpn.strip().upper(), options.currency, options.country, options.all_sellers, mfr)

    def _answer(self, item: LineItem, r: _Resolved) -> PartAnswer:
        if r.error is not None:
            return PartAnswer(item, None, r.error.user_message)
        return PartAnswer(item, r.result, None, r.stored_at, r.from_cache)

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
            reservation = self.ledger.reserve(run.workspace, run.user, amount)
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
            for chunk, results in self._ask_all(todo):
                for key, res in zip(chunk, results, strict=True):
                    now = self.clock()
                    if isinstance(res, SourceError):
                        returned += PARTS_PER_QUERY if isinstance(res, PossiblyBilled) else 0
                        self._finish(run, key, _Resolved(None, now, False, res))
                        continue
                    returned += 1 if res.part is not None else 0
                    if res.part is None and len(todo) == 1:
                        res = SearchResult(None, res.hits, self.source.suggest(key.mpn))
                    self.cache.put(key.cache_key(), res, now)
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

    @staticmethod
    def _report(run: _Run) -> None:
        if run.progress is None:
            return
        try:
            run.progress(run.done, run.total)
        except Exception:
            log.exception("progress report failed; the lookup goes on")

    def _ask_all(self, todo: list[LookupKey]) -> Iterator[tuple[list[LookupKey], list[SearchResult | SourceError]]]:
        """Each chunk of ≤ 20 keys with its answers, as they arrive: with several chunks, at
        most `concurrency` requests in flight (a pool of this lookup's own, so one BOM
        cannot hold back another's single lookups)."""
        chunks = [todo[i : i + MAX_MULTI_QUERIES] for i in range(0, len(todo), MAX_MULTI_QUERIES)]
        if len(chunks) == 1 or self.concurrency == 1:
            for chunk in chunks:
                yield chunk, self._ask(chunk)
            return
        with ThreadPoolExecutor(min(self.concurrency, len(chunks)), thread_name_prefix="nexar") as pool:
            sent: dict[Future[list[SearchResult | SourceError]], list[LookupKey]] = {
                pool.submit(self._ask, chunk): chunk for chunk in chunks
            }
            for future in as_completed(sent):
                try:
                    results = future.result()
                except Exception as exc:
                    log.exception("a Nexar request failed unexpectedly")
                    results = [SourceError(repr(exc))] * len(sent[future])
                yield sent[future], results

    def _ask(self, chunk: list[LookupKey]) -> list[SearchResult | SourceError]:
        """One Nexar request for `chunk`; a failure of the whole request fails every key."""
        try:
            if len(chunk) == 1:
                return [self.source.search_mpn(chunk[0], PARTS_PER_QUERY)]
            return self.source.multi_match(chunk, PARTS_PER_QUERY)
        except SourceError as exc:
            log.warning("Nexar lookup of %d part(s) failed: %s", len(chunk), exc)
            return [exc] * len(chunk)

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

    def _record(self, workspace: str, user: str, answers: Sequence[PartAnswer], options: Options, now: float) -> None:
        try:
            for a in answers[-RECENT_KEEP:]:
                entry = RecentLookup(now, a.item.mpn, a.item.quantity)
                part = a.result.part if a.result else None
                if part is not None:
                    entry = replace(entry, found=part.mpn)
                    best = price_row(a, options).best
                    if best is not None and best.unit_price is not None:
                        entry = replace(entry, price=format_money(best.unit_price), seller=best.seller.name)
                self.store.add_recent(workspace, user, entry, RECENT_KEEP)
        except Exception:
            log.exception("could not record recent lookups")
