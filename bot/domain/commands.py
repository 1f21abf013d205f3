"""What a user can ask partbot: the result of parsing a command or a mention."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from bot.domain.models import LineItem, Options

USAGE_HINT = "Write it as `/part MPN`, `/part MPN x250` or `/part LM358 x100, NE555 x50`."


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Usage:
    pass


@dataclass(frozen=True)
class Lookup:
    items: tuple[LineItem, ...]
    options: Options = field(default_factory=Options)
    understood: str | None = None


@dataclass(frozen=True)
class Invalid:
    problem: str
    hint: str = USAGE_HINT


@dataclass(frozen=True)
class AddWatch:
    """`watch MPN [xQTY] [below PRICE] [stock]`: alert when the part can be bought at the
    quantity at or below `below` (in `options.currency`), or when it is in stock."""

    item: LineItem
    options: Options = field(default_factory=Options)
    below: Decimal | None = None


@dataclass(frozen=True)
class ListWatches:
    pass


@dataclass(frozen=True)
class Unwatch:
    """`unwatch ID|MPN`: one watch by its ID, or every watch of the asker's on that MPN."""

    target: str


WatchCommand = AddWatch | ListWatches | Unwatch
Command = Help | Usage | Lookup | Invalid | AddWatch | ListWatches | Unwatch
