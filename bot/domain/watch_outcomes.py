"""What the watch commands come back with, for the renderers. No I/O."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.outcomes import Outcome
from bot.domain.watches import Hit, Watch


@dataclass(frozen=True)
class WatchBudget:
    """The workspace's watch budget this month and what it means for the checks."""

    spent: int
    limit: int
    team_left: int
    parts: int
    """Distinct watched parts (one check each serves all their watches)."""
    every: int
    period: float | None
    """Seconds between paid checks of each part; None: paused until `resets`."""
    resets: float

    @property
    def left(self) -> int:
        return max(min(self.limit - self.spent, self.team_left), 0)

    @property
    def paused(self) -> bool:
        return self.period is None

    @property
    def stretched(self) -> bool:
        return self.period is not None and self.period > self.every

    @property
    def monthly_checks(self) -> int:
        """Paid checks a month at `period`, at most (lookups of these parts make them free)."""
        return 0 if self.period is None else round(self.parts * 30 * 86400 / self.period)


@dataclass(frozen=True)
class WatchOffer:
    """A watch shown with what it will cost, not saved until its asker presses "Start watching"."""

    watch: Watch
    """Already judged by `answer` when it could be (`holding`, `last_checked`), so a
    condition the asker was shown to hold does not alert again once the watch starts."""
    answer: Outcome | None
    """The lookup made to judge the watch at once (billed to the asker like any lookup)."""
    hit: Hit | None
    budget: WatchBudget
    """The watch budget as it would be with this watch saved."""
    sharing: int
    """Other watches in the workspace on the same part (they share its checks)."""
    place_note: str | None = None
    """Why alerts go by DM (the bot cannot post where the watch was made), if they do."""

    @property
    def monthly_checks(self) -> int:
        """Paid checks of this part a month at the current period, at most."""
        return 0 if self.budget.period is None else round(30 * 86400 / self.budget.period)


@dataclass(frozen=True)
class WatchCreated:
    watch: Watch
    budget: WatchBudget
    next_check: float | None
    sharing: int
    place_note: str | None = None


@dataclass(frozen=True)
class WatchRefused:
    problem: str
    hint: str = ""


@dataclass(frozen=True)
class WatchList:
    watches: tuple[Watch, ...]
    next_checks: dict[str, float | None]
    """By `Watch.part_key`: when the part is checked next (None: paused)."""
    budget: WatchBudget
    now: float


@dataclass(frozen=True)
class Unwatched:
    removed: tuple[Watch, ...]
    target: str
