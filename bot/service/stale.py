"""Stale beats nothing: when a lookup cannot be paid for (a quota spent, Nexar's part limit)
or Nexar is down, a part asked before is answered from its last stored answer, up to
`PARTBOT_STALE_MAX_AGE` old, marked with its age and the reason, and billed nothing.

Only the fallback lives here; the fresh path and its billing are the lookup service's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.models import SearchResult
from bot.domain.outcomes import Refusal
from bot.ports import PartLimitExceeded, SourceError, SourceUnavailable
from bot.service.cache import AnswerCache

REASONS = {
    "user": "your daily quota is used up",
    "team": "the team's monthly quota is used up",
    "bom": "your monthly BOM allowance from the team budget is used up",
}
PART_LIMIT = "Nexar's plan has used up its matched parts"
NEXAR_DOWN = "Nexar is not answering"


def refusal_reason(refusal: Refusal) -> str:
    return REASONS.get(refusal.scope, f"the {refusal.scope} quota is used up")


def error_reason(error: SourceError) -> str | None:
    """Why a failed lookup may be answered stale, or None when it may not (a rejected
    query or a not-found is not helped by an old answer)."""
    if isinstance(error, PartLimitExceeded):
        return PART_LIMIT
    if isinstance(error, SourceUnavailable):
        return NEXAR_DOWN
    return None


def stale_answer(cache: AnswerCache, cache_key: str) -> tuple[SearchResult, float] | None:
    """The last stored answer with a part in it (an old "not found" answers nothing)."""
    hit = cache.stale(cache_key)
    if hit is None or hit[0].part is None:
        return None
    return hit


def stale_answers(
    cache: AnswerCache, keys: Sequence[str], errors: Mapping[str, SourceError | None], unpaid: str | None
) -> dict[str, tuple[SearchResult, float, str]]:
    """(answer, stored_at, reason) for each cache key of `keys` that may be answered stale:
    those whose lookup failed as Nexar being down or at its limit and, when the lookup could
    not be paid for (`unpaid` says why), those not answered at all (absent from `errors`)."""
    found: dict[str, tuple[SearchResult, float, str]] = {}
    for ck in dict.fromkeys(keys):
        if ck in errors:
            error = errors[ck]
            why = error_reason(error) if error is not None else None
        else:
            why = unpaid
        hit = stale_answer(cache, ck) if why else None
        if why and hit is not None:
            found[ck] = (hit[0], hit[1], why)
    return found
