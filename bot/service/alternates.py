"""`--alternates` and the "Show alternates" button: Nexar's `similarParts` of the matched part.

`similarParts` takes no limit, so the cost is known only from the answer: the ask reserves
`reserve` parts up front (refused when the user or the team has fewer left), then settles
to every part returned, the matched one included, even past the reservation. The answer is
cached: each similar part under its own key, and the list under the matched part's key, so
asking again within the TTL is free."""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.domain.models import LineItem, LookupKey, Options, Part, SearchResult
from bot.domain.outcomes import Alternates, Answer, Outcome, PartAnswer, Refusal
from bot.domain.priced import price_row
from bot.ports import PossiblyBilled, SourceError, StoreError
from bot.service.lookup import LookupService

log = logging.getLogger(__name__)

SHOWN = 3
ONE_AT_A_TIME = "Alternates are shown for one part at a time: ask for that part alone with `--alternates`."


def _key_of_alternates(key: LookupKey) -> str:
    return "alternates|" + key.cache_key()


def rank(item: LineItem, parts: tuple[Part, ...], options: Options, fetched_at: float, cached: bool) -> tuple[PartAnswer, ...]:
    """The best `SHOWN` of `parts` at the item's quantity: enough stock from an authorized
    seller first, then not NRND/EOL/obsolete, then the lowest total in the asked currency."""
    authorized = replace(options, all_sellers=False)
    scored = []
    for i, part in enumerate(parts):
        answer = PartAnswer(LineItem(part.mpn, item.quantity), SearchResult(part, 1), None, fetched_at, cached)
        best = price_row(answer, authorized).best
        total = best.extended_price if best is not None else None
        same = total is not None and total.currency == options.currency
        scored.append(
            (
                best is None or not best.enough_stock,
                part.lifecycle.is_warning,
                not same,
                total.amount if total is not None and same else 0,
                i,
                answer,
            )
        )
    return tuple(s[-1] for s in sorted(scored, key=lambda s: s[:5])[:SHOWN])


class AlternatesFinder:
    def __init__(self, service: LookupService, reserve: int) -> None:
        self.service, self.reserve = service, reserve

    def add(self, workspace: str, user: str, outcome: Outcome) -> Outcome:
        """`outcome`, when it answers one part that was found, with that part's alternates
        (their cost added to the answer's); several parts get a note instead."""
        if not isinstance(outcome, Answer):
            return outcome
        if len(outcome.answers) != 1:
            return replace(outcome, alternates=Alternates(problem=ONE_AT_A_TIME))
        result = outcome.answers[0].result
        if result is None or result.part is None:
            return outcome
        return self.add_to(workspace, user, outcome)

    def add_to(self, workspace: str, user: str, answer: Answer) -> Answer:
        """`answer` (one part) with its alternates, their cost added to the answer's."""
        found = self.find(workspace, user, answer.answers[0].item, answer.options)
        quota = self.service.quota(workspace, user) if found.cost else answer.quota
        return replace(answer, alternates=found, cost=answer.cost + found.cost, quota=quota)

    def find(self, workspace: str, user: str, item: LineItem, options: Options) -> Alternates:
        service = self.service
        key = replace(service.key_of(item, options), all_sellers=False)
        cached = self._cached(key)
        if cached is not None:
            parts, stored_at = cached
            return Alternates(rank(item, parts, options, stored_at, True), len(parts))
        amount = self.reserve if service.source.billed else 0
        try:
            reservation = service.ledger.reserve(workspace, user, amount)
        except Exception:
            log.exception("quota store failed; no alternates")
            return Alternates(problem="partbot cannot reach its database right now, so it cannot count quota.")
        if isinstance(reservation, Refusal):
            return Alternates(refused=reservation)
        returned = 0
        try:
            main, parts = service.source.similar(key)
            returned = ((1 if main.part is not None else 0) + len(parts)) if service.source.billed else 0
        except SourceError as exc:
            log.warning("Nexar could not list alternates for %s: %s", key.mpn, exc)
            returned = amount if isinstance(exc, PossiblyBilled) else 0
            return Alternates(problem=exc.user_message, cost=returned)
        finally:
            try:
                service.ledger.settle_billed(reservation, returned)
            except Exception:
                log.exception("could not settle an alternates reservation of %d (kept %d)", amount, returned)
        now = service.clock()
        self._store(key, main, parts, now)
        if main.part is None:
            return Alternates(cost=returned, problem="Nexar no longer matches this part, so it lists no alternates.")
        return Alternates(rank(item, parts, options, now, False), len(parts), returned)

    def _cached(self, key: LookupKey) -> tuple[tuple[Part, ...], float] | None:
        cache = self.service.cache
        try:
            stored = cache.store.cache_get(_key_of_alternates(key))
        except StoreError as exc:
            log.warning("alternates cache read failed (%s); asking Nexar", exc)
            return None
        if stored is None or cache.ttl <= 0 or self.service.clock() - stored[1] >= cache.ttl:
            return None
        try:
            parts = tuple(p for p in (SearchResult.from_json(r).part for r in stored[0]["similar"]) if p is not None)
        except (KeyError, TypeError, ValueError):
            log.warning("unreadable alternates entry for %s; asking Nexar", key.mpn)
            return None
        return parts, stored[1]

    def _store(self, key: LookupKey, main: SearchResult, parts: tuple[Part, ...], now: float) -> None:
        cache = self.service.cache
        cache.put(key.cache_key(), main, now)
        for part in parts:
            cache.put(replace(key, mpn=part.mpn.upper(), mfr=part.manufacturer or None).cache_key(), SearchResult(part, 1), now)
        if cache.ttl <= 0:
            return
        try:
            value = {"similar": [SearchResult(p, 1).to_json() for p in parts]}
            cache.store.cache_put(_key_of_alternates(key), value, now, cache.ttl)
        except Exception:
            log.exception("could not cache alternates")
