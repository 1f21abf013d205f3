"""The part a shared link names, for its unfurl: billed like a lookup, or from the cache only."""

from __future__ import annotations

from bot.domain.commands import Lookup
from bot.domain.links import UNFURL_OPTIONS, PartLink, names_part
from bot.domain.models import LineItem
from bot.domain.outcomes import Answer, PartAnswer
from bot.service.lookup import LookupService


def linked_part(service: LookupService, workspace: str, user: str, link: PartLink, *, cache_only: bool) -> PartAnswer | None:
    """The answer for the part `link` names, or None (not found, not that part, an error, or
    no fresh answer to be had with nothing stored): an unfurl shows the part or nothing.
    Over quota or with Nexar down, the lookup gives the part's last stored answer, marked
    stale and billed nothing. `cache_only` (a link still being typed, or nobody to bill)
    asks no quota and no Nexar, and gives only a fresh cached answer: a stale one is for
    when a fresh one was tried for and could not be had, which a preview never does.
    """
    item = LineItem(link.value, 1, by=link.by)
    if cache_only or not user:
        answer = service.cached(item, UNFURL_OPTIONS)
    else:
        outcome = service.lookup(workspace, user, Lookup((item,), UNFURL_OPTIONS))
        answer = outcome.answers[0] if isinstance(outcome, Answer) else None
    part = answer.result.part if answer is not None and answer.result is not None else None
    if answer is None or answer.error or part is None or not names_part(link, part):
        return None
    return answer
