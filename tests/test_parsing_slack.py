"""What real Slack text looks like before parsing: markup, sentences typed into `/part`, new options."""

from __future__ import annotations

import pytest

from bot.domain.commands import Help, Invalid, Lookup, Usage
from bot.domain.models import LineItem, Options
from bot.domain.parsing import parse_command, parse_mention, parse_options, unformat


def items(result: object) -> list[tuple[str, int]]:
    assert isinstance(result, Lookup), result
    return [(i.mpn, i.quantity) for i in result.items]


# --- Slack markup ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("`AD7685ARM` x250", [("AD7685ARM", 250)]),
        ("`AD7685ARM x250`", [("AD7685ARM", 250)]),
        ("```AD7685ARM x250\nNE555DR x10```", [("AD7685ARM", 250), ("NE555DR", 10)]),
        ("```\nAD7685ARM x250\nNE555DR x10\n```", [("AD7685ARM", 250), ("NE555DR", 10)]),
        ("price these ```LM358DR 100\nNE555DR 50```", [("LM358DR", 100), ("NE555DR", 50)]),
        ("*AD7685ARM* x250", [("AD7685ARM", 250)]),
        ("_AD7685ARM_ x250", [("AD7685ARM", 250)]),
        ("~AD7685ARM~ x250", [("AD7685ARM", 250)]),
        ("*_AD7685ARM_* x250", [("AD7685ARM", 250)]),
        ("`LM358DR`, `NE555DR` x5", [("LM358DR", 1), ("NE555DR", 5)]),
        ("PART_1_A x5", [("PART_1_A", 5)]),
    ],
)
def test_markup_is_undone_in_commands(text: str, expected: list[tuple[str, int]]) -> None:
    assert items(parse_command(text)) == expected


def test_a_code_block_of_several_lines_is_several_parts_each_with_its_quantity() -> None:
    # Before: the block's backticks made the first line one MPN "```AD7685ARM" (a wrong part).
    text = "<@U111> ```AD7685ARM x250\nNE555DR x10```"
    assert items(parse_mention(text)) == [("AD7685ARM", 250), ("NE555DR", 10)]
    result = parse_mention(text)
    assert isinstance(result, Lookup) and result.understood is None, "precise grammar, not a guess"


def test_a_sentence_then_a_code_block_keeps_each_lines_quantity() -> None:
    text = "<@U1> can you price these?\n```LM358DR 100\nNE555DR 50\nBC547B x5```"
    assert items(parse_mention(text)) == [("LM358DR", 100), ("NE555DR", 50), ("BC547B", 5)]


@pytest.mark.parametrize("text", ["`LM358*` x5", "`*LM358*` x5"])
def test_inside_code_nothing_is_styled(text: str) -> None:
    # `*` inside code is the user's character: a wildcard, refused as one.
    result = parse_command(text)
    assert isinstance(result, Invalid) and "wildcard" in result.problem


@pytest.mark.parametrize("text", ["LM*", "LM358*", "*", "AD7685ARM x5, NE5*", "* LM358 *"])
def test_wildcards_are_not_taken_for_bold(text: str) -> None:
    result = parse_command(text)
    assert isinstance(result, Invalid)


def test_entities_are_decoded_once() -> None:
    assert unformat("A &amp; B &lt;x&gt;") == "A & B <x>"
    assert unformat("&amp;lt;") == "&lt;", "the user typed `&lt;`"
    result = parse_command("LM358 &lt;b&gt;")
    assert isinstance(result, Invalid) and "<b>" in result.problem


def test_unicode_dashes_become_hyphens() -> None:
    assert items(parse_command("LM358\u2013DR x5")) == [("LM358-DR", 5)]
    assert items(parse_command("ATMEGA328P\u2212AU")) == [("ATMEGA328P-AU", 1)]


def test_markup_in_mentions_and_help() -> None:
    assert items(parse_mention("<@U111> `AD7685ARM` x250")) == [("AD7685ARM", 250)]
    assert parse_mention("<@U111> *help*") == Help()
    assert parse_command("`usage`") == Usage()


def test_quoted_mpn_may_hold_spaces() -> None:
    assert items(parse_command('"PTS645SM43SMTR92 LFS" x10')) == [("PTS645SM43SMTR92 LFS", 10)]
    assert items(parse_command("“PTS645SM43SMTR92  LFS”, NE555DR x2")) == [("PTS645SM43SMTR92 LFS", 1), ("NE555DR", 2)]
    assert items(parse_command('"RC0603, 10K" x3')) == [("RC0603, 10K", 3)], "a quoted stretch is never split"
    result = parse_command('"LM358 x5')
    assert isinstance(result, Invalid), "a stray quote is named, not dropped"


def test_equals_sign_is_in_the_mpn_alphabet() -> None:
    assert items(parse_command("CRCW0603=10K x5")) == [("CRCW0603=10K", 5)]
    assert items(parse_command("AD7685ARM qty=250")) == [("AD7685ARM", 250)]


# --- /part: grammar mistakes vs sentences ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what would 500 NE555DR cost?", [("NE555DR", 500)]),
        ("what would 500 pcs of NE555DR cost us?", [("NE555DR", 500)]),
        ("how much are 2.5k LM358DR", [("LM358DR", 2500)]),
        ("price of 2N3904?", [("2N3904", 1)]),
        ("do we have AD7685ARM in stock", [("AD7685ARM", 1)]),
        ("LM358DR and NE555DR", [("LM358DR", 1), ("NE555DR", 1)]),
        ("LM358DR and NE555DR at 100", [("LM358DR", 100), ("NE555DR", 100)]),
        ("need 250 of AD7685ARM please", [("AD7685ARM", 250)]),
        ("AD7685ARM x250 please", [("AD7685ARM", 250)]),
        ("help LM358DR", [("LM358DR", 1)]),
        ("cheapest NE555DR x1k?", [("NE555DR", 1000)]),
        ("100 LM358DR", [("LM358DR", 100)]),
        ("100x LM358DR", [("LM358DR", 100)]),
        ("is LM358DR in stock?", [("LM358DR", 1)]),
        ("stock check TPS54331DR", [("TPS54331DR", 1)]),
        ("who sells ESP32-WROOM-32E at 2,000 pcs", [("ESP32-WROOM-32E", 2000)]),
        ("LM358DR x100 and NE555DR x50", [("LM358DR", 100), ("NE555DR", 50)]),
        ("quote for 1k of STM32F103C8T6 please", [("STM32F103C8T6", 1000)]),
        ("any BC547B?", [("BC547B", 1)]),
    ],
)
def test_part_reads_sentences_as_plain_english_and_says_so(text: str, expected: list[tuple[str, int]]) -> None:
    result = parse_command(text)
    assert items(result) == expected
    assert isinstance(result, Lookup)
    assert result.understood == ", ".join(f"{m} × {q:,}" for m, q in expected)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("LM358 x10O", "`x10O` is not a quantity for `LM358`"),
        ("LM358 x1O0", "`x1O0` is not a quantity"),
        ("LM358 lots", "`lots` is not a quantity"),
        ("NE555DR please", "`please` is not a quantity"),
        ("LM358 x0", "at least 1"),
        ("LM358 x2.55", "not a whole number"),
        ("LM358 x100 NE555 x50", "not `x100 NE555 x50`"),
        ("LM358 x100, NE555 x5O", "`x5O`"),
        ("LM358 250 300", "not `250 300`"),
        ("LM* x5", "wildcard"),
        ("<b>", "cannot contain"),
        ("LM358 --frobnicate", "not an option"),
        ("what would 500 NE555DR cost? --currency XYZ", "ISO 4217"),
        ("A" * 41, "longer than 40"),
        ("LM358DR x100 NE555DR", "not `x100 NE555DR`"),
        ("LM358DR x-5", "not a quantity"),
        ("LM358DR x1e3", "not a quantity"),
        ("LM358DR 1,000", "not a quantity"),
        ("LM358DR qty=10O", "not a quantity"),
        ("LM358DR, NE555DR x50, BC547B xx", "`xx` is not a quantity"),
        ("LM358DR x100; NE555DR lots", "`lots` is not a quantity"),
        ("ATMEGA328P-AU!", "cannot contain"),
        ("LM358DR\u00a0x5x", "not a quantity"),
    ],
)
def test_part_names_a_grammar_mistake(text: str, needle: str) -> None:
    result = parse_command(text)
    assert isinstance(result, Invalid), result
    assert needle in result.problem


@pytest.mark.parametrize("text", ["support start", "is it everything a river should be?", "thanks partbot!", "what's up"])
def test_part_sentences_without_a_part_number_say_so(text: str) -> None:
    result = parse_command(text)
    assert isinstance(result, Invalid) and "could not find a part number" in result.problem
    assert "/part" in result.hint


@pytest.mark.parametrize(("text", "expected"), [("22232021 x10", [("22232021", 10)]), ("5015680207 x 4", [("5015680207", 4)])])
def test_all_digit_mpns_stay_in_the_grammar(text: str, expected: list[tuple[str, int]]) -> None:
    # Molex and TE part numbers are often all digits: "a count first" must not swallow them.
    result = parse_command(text)
    assert items(result) == expected
    assert isinstance(result, Lookup) and result.understood is None


def test_sentence_keeps_good_options() -> None:
    result = parse_command("what would 500 NE555DR cost in euros? --currency EUR")
    assert items(result) == [("NE555DR", 500)]
    assert isinstance(result, Lookup) and result.options.currency == "EUR"


# --- mentions: the same line, more forgiving ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<@U1> NE555DR please", [("NE555DR", 1)]),
        ("<@U1> 10x 2N2222A", [("2N2222A", 10)]),
        ("<@U1> what would 500 NE555DR cost?", [("NE555DR", 500)]),
        ("<@U1> LM358DR 100, NE555DR 50", [("LM358DR", 100), ("NE555DR", 50)]),
    ],
)
def test_mention_sentences(text: str, expected: list[tuple[str, int]]) -> None:
    assert items(parse_mention(text)) == expected


def test_mention_grammar_mistake_is_named() -> None:
    result = parse_mention("<@U1> LM358 x10O")
    assert isinstance(result, Invalid) and "x10O" in result.problem


# --- --mfr, --alternates, boards ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mfr"),
    [
        ("LM358 --mfr TI", "TI"),
        ("LM358 --mfr=TI", "TI"),
        ('LM358 --mfr "Texas Instruments"', "Texas Instruments"),
        ('LM358 --mfr="Texas  Instruments" x5', "Texas Instruments"),
        ("LM358 --mfr “Würth Elektronik”", "Würth Elektronik"),
        ("--mfr onsemi LM358, NE555", "onsemi"),
    ],
)
def test_mfr_option(text: str, mfr: str) -> None:
    result = parse_command(text)
    assert isinstance(result, Lookup), result
    assert result.options.mfr == mfr
    assert result.items[0].mpn == "LM358"


def test_mfr_in_a_sentence() -> None:
    result = parse_mention('<@U1> what would 500 pcs of LM358DR cost --mfr "Texas Instruments"?')
    assert isinstance(result, Lookup) and result.options.mfr == "Texas Instruments"
    assert items(result) == [("LM358DR", 500)]


@pytest.mark.parametrize(
    ("text", "needle"), [("LM358 --mfr", "needs a manufacturer"), ('LM358 --mfr ""', "needs a manufacturer")]
)
def test_mfr_needs_a_name(text: str, needle: str) -> None:
    result = parse_command(text)
    assert isinstance(result, Invalid) and needle in result.problem


def test_mfr_too_long() -> None:
    result = parse_command(f'LM358 --mfr "{"A" * 81}"')
    assert isinstance(result, Invalid) and "longer than 80" in result.problem


def test_alternates_option() -> None:
    result = parse_command("LM358 x10 --alternates")
    assert isinstance(result, Lookup) and result.options == Options(alternates=True)
    assert result.items == (LineItem("LM358", 10),)
    bad = parse_command("LM358 --alternates=3")
    assert isinstance(bad, Invalid) and "takes no value" in bad.problem


@pytest.mark.parametrize(
    ("text", "boards"),
    [
        ("<@U1> our BOM --boards 50", 50),
        ("<@U1> our BOM --boards=50", 50),
        ("<@U1> price this x50 boards", 50),
        ("<@U1> price this for 50 boards --currency EUR", 50),
        ("<@U1> price this ×2.5k boards", 2500),
        ("<@U1> price this, 1 board", 1),
        ("<@U1> price this", 1),
        ("<@U1> price this --boards 0", 1),
    ],
)
def test_boards_with_a_bom(text: str, boards: int) -> None:
    assert parse_options(text).boards == boards


def test_boards_option_values() -> None:
    assert parse_options("--boards 50 --mfr TI --alternates") == Options(mfr="TI", boards=50, alternates=True)
    for bad in ("LM358 --boards", "LM358 --boards x", "LM358 --boards 0", "LM358 --boards 1.5"):
        assert isinstance(parse_command(bad), Invalid), bad


@pytest.mark.parametrize("text", ["LM358 x10 --boards 50", "LM358 x10, x50 boards", "LM358 x10 x50 boards"])
def test_boards_without_a_bom_file_is_refused_not_ignored(text: str) -> None:
    result = parse_command(text)
    assert isinstance(result, Invalid) and "BOM file" in result.problem
    mention = parse_mention("<@U1> " + text)
    assert isinstance(mention, Invalid) and "BOM file" in mention.problem


def test_options_hint_names_the_new_options() -> None:
    result = parse_command("LM358 --foo")
    assert isinstance(result, Invalid)
    for option in ("--mfr", "--alternates", "--boards"):
        assert option in result.hint
