"""What a lookup comes back with: an answer, over quota, or failed. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.models import LineItem, Options, SearchResult
from bot.domain.priced import Row, rank_rows
from bot.domain.pricing import is_exact_match


@dataclass(frozen=True)
class QuotaView:
    user_spent: int
    user_limit: int
    team_spent: int
    team_limit: int
    user_resets: datetime
    team_resets: datetime
    watch_spent: int = 0
    """Matched parts watch checks spent this month (part of `team_spent`)."""
    watch_limit: int = 0

    @property
    def watch_left(self) -> int:
        return max(self.watch_limit - self.watch_spent, 0)

    @property
    def user_left(self) -> int:
        return max(self.user_limit - self.user_spent, 0)

    @property
    def team_left(self) -> int:
        return max(self.team_limit - self.team_spent, 0)

    @property
    def left(self) -> int:
        return min(self.user_left, self.team_left)


@dataclass(frozen=True)
class Refusal:
    """Not enough quota: `scope` is "user", "team" or "plan" (the Nexar plan, shared by
    every workspace); `left` what that scope still has."""

    scope: str
    needed: int
    left: int
    resets: datetime


@dataclass(frozen=True)
class PartAnswer:
    item: LineItem
    result: SearchResult | None
    error: str | None = None
    fetched_at: float | None = None
    from_cache: bool = False
    stale: str | None = None
    """Why this answer is an old stored one, not fresh (billed nothing): e.g. "your daily quota is used up"."""

    @property
    def is_stale(self) -> bool:
        return self.stale is not None

    @property
    def exact(self) -> bool:
        part = self.result.part if self.result else None
        return part is not None and is_exact_match(self.item.mpn, part.mpn)


@dataclass(frozen=True)
class Alternates:
    """`--alternates`: the best similar parts (`shown`, priced at the asked quantity with
    authorized sellers), out of `returned` that Nexar listed; or why there are none."""

    shown: tuple[PartAnswer, ...] = ()
    returned: int = 0
    cost: int = 0
    refused: Refusal | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Answer:
    answers: tuple[PartAnswer, ...]
    options: Options
    cost: int
    quota: QuotaView | None
    sample: bool
    now: float
    understood: str | None = None
    alternates: Alternates | None = None
    rows: tuple[Row, ...] = field(init=False, repr=False, compare=False)
    """Each answer priced and its sellers ranked, once, when the answer is built."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", rank_rows(self.answers, self.options))


@dataclass(frozen=True)
class OverQuota:
    refusal: Refusal
    items: tuple[LineItem, ...]
    fits: int
    sample: bool = False


@dataclass(frozen=True)
class Failed:
    message: str
    items: tuple[LineItem, ...] = ()


Outcome = Answer | OverQuota | Failed
