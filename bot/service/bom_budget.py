"""A BOM bigger than the user's daily share, priced from the team budget.

The offer is worked out before anything is bought: which lines it covers (at most
`max_parts` distinct parts, the first ones in the file), how many of their parts are
already cached (free) and how many must be bought. The lookup itself then runs with a
`TeamBudget`, which the quota ledger reserves atomically with everything else."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.bom.offer import BomPlan, TeamOffer
from bot.domain.models import LineItem, Options
from bot.service.lookup import LookupService


def plan_bom(service: LookupService, items: Sequence[LineItem], options: Options, max_parts: int) -> BomPlan:
    order: dict[str, int] = {}
    for item in items:
        order.setdefault(service.key_of(item, options).cache_key(), len(order))
    cached = {ck for ck in order if order[ck] < max_parts and service.cache.get(ck) is not None}
    covered = tuple(i for i, item in enumerate(items) if order[service.key_of(item, options).cache_key()] < max_parts)
    distinct = min(len(order), max_parts)
    cached_lines = sum(1 for i in covered if service.key_of(items[i], options).cache_key() in cached)
    parts = (distinct - len(cached)) if service.source.billed else 0
    return BomPlan(covered, len(items), parts, distinct, cached_lines, max(len(order) - max_parts, 0))


def team_offer(
    service: LookupService, workspace: str, user: str, plan: BomPlan, *, admin: bool, needed_all: int
) -> TeamOffer | None:
    """The offer to make, when the BOM (`needed_all` parts, all of it) does not fit what the
    user has left but `plan` fits the team's month and the user's BOM allowance."""
    quota = service.quota(workspace, user)
    if quota is None or needed_all <= quota.left or plan.parts <= 0:
        return None
    bom_left = None if admin else service.ledger.bom_left(workspace, user)
    if plan.parts > quota.team_left or (bom_left is not None and plan.parts > bom_left):
        return None
    return TeamOffer(plan, quota, bom_left)
