"""Nexar requests for the keys one lookup buys: ≤ 20 a request, a few requests in flight."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed

from bot.domain.models import LookupKey, SearchResult
from bot.ports import MAX_MULTI_QUERIES, PartSource, SourceError

log = logging.getLogger(__name__)


def ask_all(
    source: PartSource, todo: list[LookupKey], concurrency: int, limit: int
) -> Iterator[tuple[list[LookupKey], list[SearchResult | SourceError]]]:
    """Each chunk of ≤ 20 keys with its answers, as they arrive: with several chunks, at
    most `concurrency` requests in flight (a pool of this lookup's own, so one BOM
    cannot hold back another's single lookups)."""
    chunks = [todo[i : i + MAX_MULTI_QUERIES] for i in range(0, len(todo), MAX_MULTI_QUERIES)]
    if len(chunks) == 1 or concurrency == 1:
        for chunk in chunks:
            yield chunk, ask(source, chunk, limit)
        return
    with ThreadPoolExecutor(min(concurrency, len(chunks)), thread_name_prefix="nexar") as pool:
        sent: dict[Future[list[SearchResult | SourceError]], list[LookupKey]] = {
            pool.submit(ask, source, chunk, limit): chunk for chunk in chunks
        }
        for future in as_completed(sent):
            try:
                results = future.result()
            except Exception as exc:
                log.exception("a Nexar request failed unexpectedly")
                results = [SourceError(repr(exc))] * len(sent[future])
            yield sent[future], results


def ask(source: PartSource, chunk: list[LookupKey], limit: int) -> list[SearchResult | SourceError]:
    """One Nexar request for `chunk`; a failure of the whole request fails every key."""
    try:
        if len(chunk) == 1:
            return [source.search_mpn(chunk[0], limit)]
        return source.multi_match(chunk, limit)
    except SourceError as exc:
        log.warning("Nexar lookup of %d part(s) failed: %s", len(chunk), exc)
        return [exc] * len(chunk)
