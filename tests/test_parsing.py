"""The `/part` grammar (parse_command) and the reading of mentions (parse_mention)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.domain.bom import Bom, BomError, read_bom
from bot.domain.bom.reader import mpn_problem
from bot.domain.codes import COUNTRIES, CURRENCIES
from bot.domain.commands import Help, Invalid, Lookup, Usage
from bot.domain.models import LineItem, Options
from bot.domain.parsing import (
    MAX_ITEMS,
    MAX_MPN_LENGTH,
    MAX_QUANTITY,
    MAX_TEXT,
    check_mpn,
    normalize_mpn,
    parse_command,
    parse_mention,
    parse_options,
    strip_mentions,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def lookup(text: str) -> Lookup:
    result = parse_command(text)
    assert isinstance(result, Lookup), f"{text!r} → {result!r}"
    return result


def invalid(text: str) -> Invalid:
    result = parse_command(text)
    assert isinstance(result, Invalid), f"{text!r} → {result!r}"
    assert result.problem and result.hint
    return result


def items(text: str) -> list[tuple[str, int]]:
    return [(i.mpn, i.quantity) for i in lookup(text).items]


# --- one part, quantities ---------------------------------------------------------------


def test_single_mpn_defaults_to_quantity_one_and_default_options() -> None:
    result = lookup("AD7685ARM")
    assert result.items == (LineItem("AD7685ARM", 1),)
    assert result.options == Options(all_sellers=False, currency="USD", country="US", public=False)
    assert result.understood is None


def test_mpn_case_and_punctuation_are_kept_as_typed() -> None:
    assert items("ad7685arm") == [("ad7685arm", 1)]
    assert items("ATMEGA328P-AU") == [("ATMEGA328P-AU", 1)]
    assert items("SN74LVC1G14DBVR/T") == [("SN74LVC1G14DBVR/T", 1)]
    assert items("PART_1.2+3#(A)") == [("PART_1.2+3#(A)", 1)]


@pytest.mark.parametrize(
    ("text", "qty"),
    [
        ("AD7685ARM x250", 250),
        ("AD7685ARM X250", 250),
        ("AD7685ARM 250", 250),
        ("AD7685ARM qty=250", 250),
        ("AD7685ARM QTY=250", 250),
        ("AD7685ARM qty250", 250),
        ("AD7685ARM qty:250", 250),
        ("AD7685ARM x 250", 250),
        ("AD7685ARM qty 250", 250),
        ("AD7685ARM ×250", 250),
        ("AD7685ARM × 250", 250),
        ("AD7685ARM x2.5k", 2500),
        ("AD7685ARM 2.5k", 2500),
        ("AD7685ARM x2.5K", 2500),
        ("AD7685ARM x10k", 10_000),
        ("AD7685ARM 1k", 1000),
        ("AD7685ARM x0.5k", 500),
        ("AD7685ARM x1", 1),
        ("AD7685ARM x10000000", MAX_QUANTITY),
        ("AD7685ARM x10000k", MAX_QUANTITY),
        ("AD7685ARM 2.0", 2),
        ("  AD7685ARM   x250  ", 250),
        ("AD7685ARM\tx250", 250),
    ],
)
def test_quantity_forms(text: str, qty: int) -> None:
    assert items(text) == [("AD7685ARM", qty)]


@pytest.mark.parametrize("k_form", ["1.001k", "1.005k", "2.345k", "0.001k", "4.35k", "16.1k", "32.2k"])
def test_k_suffix_with_decimals_is_exact(k_form: str) -> None:
    # 1.001k is exactly 1001 parts; binary floating point must not turn it into 1000.999….
    expected = round(float(k_form[:-1]) * 1000)
    assert items(f"LM358 x{k_form}") == [("LM358", expected)]
    assert items(f"LM358 {k_form}") == [("LM358", expected)]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("AD7685ARM x2.55", "not a whole number"),
        ("AD7685ARM 2.55", "not a whole number"),
        ("AD7685ARM x2.5555k", "not a whole number"),
        ("AD7685ARM x0", "at least 1"),
        ("AD7685ARM 0", "at least 1"),
        ("AD7685ARM qty=0", "at least 1"),
        ("AD7685ARM x0.0001k", "whole number"),
        ("AD7685ARM x10000001", "10,000,000"),
        ("AD7685ARM x10001k", "10,000,000"),
        ("AD7685ARM x99999999999999999999", "10,000,000"),
        ("AD7685ARM x-5", "not a quantity"),
        ("AD7685ARM lots", "not a quantity"),
        ("AD7685ARM x1e3", "not a quantity"),
        ("AD7685ARM x250 300", "not `x250 300`"),
        ("AD7685ARM 250 300", "AD7685ARM"),
    ],
)
def test_bad_quantities_say_what_is_wrong(text: str, needle: str) -> None:
    assert needle in invalid(text).problem


def test_bad_quantity_hint_shows_the_quantity_forms() -> None:
    assert "x250" in invalid("LM358 x2.55").hint
    assert "qty=250" in invalid("LM358 lots").hint


def test_quantity_with_hundreds_of_digits_is_invalid_not_a_crash() -> None:
    # float('9' * 400) is inf, and int(inf) raises OverflowError.
    result = parse_command("LM358 x" + "9" * 400)
    assert isinstance(result, Invalid)
    assert "10,000,000" in result.problem


# --- part numbers -------------------------------------------------------------------------


def test_mpn_of_exactly_forty_characters_is_accepted() -> None:
    mpn = "A1" * (MAX_MPN_LENGTH // 2)
    assert len(mpn) == 40
    assert items(mpn) == [(mpn, 1)]


def test_mpn_of_forty_one_characters_is_refused() -> None:
    mpn = "A" * 40 + "1"
    result = invalid(mpn)
    assert "longer than 40 characters" in result.problem


@pytest.mark.parametrize("text", ["LM*", "LM358*", "*", "LM35? x5", "AD7685ARM x5, NE5*"])
def test_wildcards_are_refused(text: str) -> None:
    assert "wildcard" in invalid(text).problem


@pytest.mark.parametrize("text", ["LM358!", "LM358%5", "<b>", "LM358@x", "µA741", "LM358\\A"])
def test_characters_outside_the_mpn_alphabet_are_refused(text: str) -> None:
    assert "cannot contain" in invalid(text).problem


@pytest.mark.parametrize("text", ["---", "()", "/", ".,"])
def test_punctuation_only_is_not_a_part_number(text: str) -> None:
    assert "not a part number" in invalid(text).problem


@pytest.mark.parametrize(
    "text", ["LM358\x00", "LM358\x07 x5", "LM\x1b[31m358", "LM358\u200b", "LM358 x5\x0b", "\x7f", "LM358\u202e"]
)
def test_control_characters_are_refused(text: str) -> None:
    assert "control characters" in invalid(text).problem


def test_tabs_and_crlf_are_not_control_characters() -> None:
    assert items("LM358\tx5\r\nNE555\tx2") == [("LM358", 5), ("NE555", 2)]


def test_check_mpn() -> None:
    assert check_mpn("AD7685ARM") is None
    assert check_mpn("ATMEGA328P-AU") is None
    assert check_mpn("a" * 40) is None
    assert "longer than 40" in (check_mpn("a" * 41) or "")
    assert "wildcard" in (check_mpn("LM*") or "")
    assert "wildcard" in (check_mpn("LM?58") or "")
    assert "cannot contain" in (check_mpn("LM  358") or "")
    assert "cannot contain" in (check_mpn(" LM358") or "")
    assert "cannot contain" in (check_mpn("LM 358") or "")
    assert check_mpn("PTS645SM43SMTR92 LFS", spaces=True) is None, "a quoted MPN may hold single spaces"
    assert "cannot contain" in (check_mpn("PTS645  LFS", spaces=True) or "")
    assert check_mpn("RC0603FR-0710KL=") is None, "`=` is in the MPN alphabet"
    assert "not a part number" in (check_mpn("-") or "")


def test_problem_messages_clip_long_user_text_and_neutralise_backticks() -> None:
    problem = invalid("A" * 500).problem
    assert len(problem) < 120
    assert "…" in problem
    problem = invalid("LM`358").problem
    assert "LM'358" in problem


def test_normalize_mpn() -> None:
    assert normalize_mpn("atmega328p-au") == "ATMEGA328PAU"
    assert normalize_mpn("SN74LVC1G14DBVR/T") == "SN74LVC1G14DBVRT"
    assert normalize_mpn("---") == ""


# --- several parts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "LM358 x100, NE555 x50",
        "LM358 x100 , NE555 x50",
        "LM358 x100; NE555 x50",
        "LM358 x100;NE555 x50",
        "LM358 x100\nNE555 x50",
        "LM358 x100\r\nNE555 x50",
        "LM358 x100,\nNE555 x50",
        "LM358 x100,\tNE555 x50",
        "LM358 x100, NE555 x50,",
        "LM358 x100;; NE555 x50;",
        "\n\nLM358 x100\n\n\nNE555 x50\n",
    ],
)
def test_separators(text: str) -> None:
    assert items(text) == [("LM358", 100), ("NE555", 50)]


def test_each_part_has_its_own_quantity_and_default_one() -> None:
    assert items("LM358, NE555 x50; 1N4148 qty=3\nBC547B 2.5k") == [
        ("LM358", 1),
        ("NE555", 50),
        ("1N4148", 3),
        ("BC547B", 2500),
    ]


def test_a_comma_inside_an_mpn_token_stays_in_the_mpn() -> None:
    assert items("RC0603FR-07,10KL x5") == [("RC0603FR-07,10KL", 5)]
    assert items("A,B, C") == [("A,B", 1), ("C", 1)]


def test_a_bad_line_among_good_lines_invalidates_the_command() -> None:
    result = invalid("LM358 x100, NE555 x0, 1N4148")
    assert "at least 1" in result.problem


def test_twenty_parts_are_accepted() -> None:
    text = ", ".join(f"PART{i} x{i}" for i in range(1, MAX_ITEMS + 1))
    result = lookup(text)
    assert len(result.items) == 20
    assert result.items[0] == LineItem("PART1", 1)
    assert result.items[-1] == LineItem("PART20", 20)


def test_twenty_one_parts_are_refused_with_a_clear_message() -> None:
    text = ", ".join(f"PART{i}" for i in range(MAX_ITEMS + 1))
    result = invalid(text)
    assert "21 parts" in result.problem and "at most 20" in result.problem
    assert "CSV" in result.hint


def test_twenty_one_lines_are_counted_across_separators() -> None:
    text = "\n".join(f"P{i}; Q{i}" for i in range(10)) + "\nLAST1"
    assert "21 parts" in invalid(text).problem


# --- options ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LM358 --all", Options(all_sellers=True)),
        ("--all LM358", Options(all_sellers=True)),
        ("LM358 --ALL", Options(all_sellers=True)),
        ("LM358 --public", Options(public=True)),
        ("LM358 --currency eur", Options(currency="EUR")),
        ("LM358 --currency EUR", Options(currency="EUR")),
        ("LM358 --currency=EUR", Options(currency="EUR")),
        ("LM358 --currency=eur", Options(currency="EUR")),
        ("LM358 --country DE", Options(country="DE")),
        ("LM358 --country=de", Options(country="DE")),
        ("--currency GBP --country GB --all --public LM358", Options(True, "GBP", "GB", True)),
        ("LM358 --currency EUR --currency JPY", Options(currency="JPY")),
    ],
)
def test_options(text: str, expected: Options) -> None:
    result = lookup(text)
    assert result.items == (LineItem("LM358", 1),)
    assert result.options == expected


def test_options_anywhere_including_between_mpn_and_quantity() -> None:
    result = lookup("LM358 --all x100, --currency EUR NE555 x50 --public")
    assert [(i.mpn, i.quantity) for i in result.items] == [("LM358", 100), ("NE555", 50)]
    assert result.options == Options(all_sellers=True, currency="EUR", public=True)


def test_options_on_their_own_line() -> None:
    result = lookup("LM358 x100\n--country DE\nNE555 x50")
    assert [(i.mpn, i.quantity) for i in result.items] == [("LM358", 100), ("NE555", 50)]
    assert result.options.country == "DE"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LM358 x100 --all, NE555 x50", Options(all_sellers=True)),
        ("LM358 x100 --all; NE555 x50", Options(all_sellers=True)),
        ("LM358 x100 --public,\nNE555 x50", Options(public=True)),
        ("LM358 x100 --currency=eur, NE555 x50", Options(currency="EUR")),
        ("LM358 x100 --currency EUR, NE555 x50", Options(currency="EUR")),
        ("LM358 x100 --country DE; NE555 x50", Options(country="DE")),
    ],
)
def test_an_option_just_before_a_separator(text: str, expected: Options) -> None:
    # "Options (anywhere)": the `,` or `;` after an option (or its value) separates parts.
    result = lookup(text)
    assert [(i.mpn, i.quantity) for i in result.items] == [("LM358", 100), ("NE555", 50)]
    assert result.options == expected


def test_parse_options_reads_only_the_options() -> None:
    assert parse_options("here is our BOM --currency eur --all") == Options(all_sellers=True, currency="EUR")
    assert parse_options("board.csv --country=de --public") == Options(country="DE", public=True)
    assert parse_options("") == Options()
    assert parse_options("no options here x5") == Options()


def test_parse_options_ignores_only_the_bad_option() -> None:
    # Docstring: "bad ones are ignored" — the good ones around a bad one still apply.
    assert parse_options("--currency XYZ --all") == Options(all_sellers=True)
    assert parse_options("--all --frobnicate --country DE") == Options(all_sellers=True, country="DE")


@pytest.mark.parametrize(
    ("text", "problem", "hint"),
    [
        ("LM358 --foo", "`--foo` is not an option", "--currency EUR"),
        ("LM358 --cur EUR", "`--cur` is not an option", "--country DE"),
        ("LM358 --currency XYZ", "not an ISO 4217 currency code", "--currency EUR"),
        ("LM358 --currency=EURO", "not an ISO 4217", "--currency EUR"),
        ("LM358 --currency", "needs a code", ""),
        ("LM358 --currency=", "not an ISO 4217", ""),
        ("LM358 --country XX", "not an ISO 3166 country code", "--country DE"),
        ("LM358 --country DEU", "not an ISO 3166", "--country DE"),
        ("LM358 --country", "needs a code", ""),
        ("LM358 --all=yes", "`--all` takes no value", ""),
        ("LM358 --public=1", "`--public` takes no value", ""),
    ],
)
def test_bad_options(text: str, problem: str, hint: str) -> None:
    result = invalid(text)
    assert problem in result.problem
    assert hint in result.hint


def test_every_iso_code_in_the_lists_is_accepted() -> None:
    for code in ("USD", "EUR", "GBP", "JPY", "CHF", "CNY"):
        assert code in CURRENCIES
        assert lookup(f"LM358 --currency {code.lower()}").options.currency == code
    for country in ("US", "DE", "GB", "CN", "JP"):
        assert country in COUNTRIES
        assert lookup(f"LM358 --country {country.lower()}").options.country == country


# --- help, usage, empty ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "help", "HELP", " Help ", "?", "-h", "--help", "help --all", ", ;"])
def test_help(text: str) -> None:
    assert parse_command(text) == Help()


@pytest.mark.parametrize("text", ["usage", "USAGE", " usage ", "usage --public"])
def test_usage(text: str) -> None:
    assert parse_command(text) == Usage()


def test_help_followed_by_more_text_is_not_help() -> None:
    # Only the bare word is the help command; "help LM358" is a sentence, read as plain English.
    result = parse_command("help LM358")
    assert isinstance(result, Lookup) and result.items == (LineItem("LM358", 1),)
    assert result.understood == "LM358 × 1"


# --- length -------------------------------------------------------------------------------------


def test_text_of_100_kb_is_refused_without_being_parsed() -> None:
    result = invalid("LM358 x5, " * 10_000)
    assert "100,000 characters" in result.problem
    assert f"{MAX_TEXT:,}" in result.problem


def test_text_at_the_limit_is_still_read() -> None:
    text = "LM358 x5" + " " * (MAX_TEXT - len("LM358 x5"))
    assert len(text) == MAX_TEXT
    assert items(text) == [("LM358", 5)]
    assert isinstance(parse_command(text + " "), Invalid)


# --- mentions -------------------------------------------------------------------------------------


def mention(text: str) -> Lookup:
    result = parse_mention(text)
    assert isinstance(result, Lookup), f"{text!r} → {result!r}"
    return result


def m_items(text: str) -> list[tuple[str, int]]:
    return [(i.mpn, i.quantity) for i in mention(text).items]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what would 500 pcs of NB9921GT cost us?", [("NB9921GT", 500)]),
        ("qty 20 of LM358", [("LM358", 20)]),
        ("1N4148 at 10k", [("1N4148", 10_000)]),
        ("how much for ATMEGA328P-AU x500?", [("ATMEGA328P-AU", 500)]),
        ("price of STM32F103C8T6, quantity: 2.5k please", [("STM32F103C8T6", 2500)]),
        ("500 of TPS54331DR please", [("TPS54331DR", 500)]),
        ("I need 25 pieces of (MAX232CPE).", [("MAX232CPE", 25)]),
        ("10x 2N2222A", [("2N2222A", 10)]),
        ("200 units of ESP32-WROOM-32E", [("ESP32-WROOM-32E", 200)]),
        ("does anyone stock LM317T?", [("LM317T", 1)]),
        ("compare LM358DR and NE555DR at 100", [("LM358DR", 100), ("NE555DR", 100)]),
        ("LM358DR or lm358dr or LM358-DR", [("LM358DR", 1)]),
    ],
)
def test_plain_english_mentions(text: str, expected: list[tuple[str, int]]) -> None:
    result = mention(text)
    assert [(i.mpn, i.quantity) for i in result.items] == expected
    assert result.understood == ", ".join(f"{m} × {q:,}" for m, q in expected)


def test_plain_english_quantity_with_a_thousands_separator() -> None:
    # A buyer writes "1,000 pcs"; the `000` after the comma is not the quantity.
    assert m_items("what would 1,000 pcs of NE555DR cost?") == [("NE555DR", 1000)]


def test_plain_english_says_what_it_understood() -> None:
    result = mention("what would 500 pcs of NB9921GT cost us?")
    assert result.understood == "NB9921GT × 500"


@pytest.mark.parametrize(
    "text", ["hello", "what's up?", "thanks partbot!", "100nF 5V 10k capacitor", "I2C over USB3 in Q3", "a 4.7uF 0603 cap"]
)
def test_mentions_without_a_part_number_are_invalid(text: str) -> None:
    result = parse_mention(text)
    assert isinstance(result, Invalid)
    assert "could not find a part number" in result.problem
    assert "@partbot" in result.hint


@pytest.mark.parametrize("value", ["100nF", "5V", "10k", "4.7uF", "3.3V", "10kΩ", "1µF", "2.2mH", "16MHz"])
def test_component_values_are_not_mpns(value: str) -> None:
    result = parse_mention(f"need a {value} part like LM358DR")
    assert isinstance(result, Lookup)
    assert [i.mpn for i in result.items] == ["LM358DR"]


def test_precise_grammar_wins_in_a_mention() -> None:
    result = mention("<@U0PARTBOT> LM358 x100, NE555 x50 --all")
    assert [(i.mpn, i.quantity) for i in result.items] == [("LM358", 100), ("NE555", 50)]
    assert result.options.all_sellers is True
    assert result.understood is None


def test_plain_english_keeps_options() -> None:
    result = mention("what would 500 pcs of NB9921GT cost us? --all --currency=EUR")
    assert result.items == (LineItem("NB9921GT", 500),)
    assert result.options == Options(all_sellers=True, currency="EUR")


@pytest.mark.parametrize(
    "text",
    ["<@U123> AD7685ARM x250", "<@U123|partbot> AD7685ARM x250", "AD7685ARM <@U123ABC> x250", "<@W99> <@U1>AD7685ARM x250"],
)
def test_mentions_of_users_are_stripped(text: str) -> None:
    assert m_items(text) == [("AD7685ARM", 250)]


def test_strip_mentions() -> None:
    assert strip_mentions("<@U123> hi <@U456|bob> there") == "hi   there"
    assert strip_mentions("<!here> x") == "<!here> x"


@pytest.mark.parametrize("text", ["<@U123>", "<@U123> help", "<@U123>   ", "help"])
def test_mention_help(text: str) -> None:
    assert parse_mention(text) == Help()


def test_mention_usage() -> None:
    assert parse_mention("<@U123> usage") == Usage()


def test_mention_with_a_bad_quantity_in_english_is_invalid() -> None:
    result = parse_mention("what would 2.55 pcs of NB9921GT cost?")
    assert isinstance(result, Invalid)
    assert "whole number" in result.problem


def test_mention_with_control_characters_is_invalid() -> None:
    result = parse_mention("<@U1> LM358\x00 x5 please")
    assert isinstance(result, Invalid)
    assert "control" in result.problem


def test_mention_with_a_huge_number_is_invalid_not_a_crash() -> None:
    assert isinstance(parse_mention("LM358 x" + "9" * 400), Invalid)


def test_mention_of_more_than_twenty_parts_is_refused() -> None:
    text = "prices for " + " ".join(f"PART{i}X" for i in range(25))
    result = parse_mention(text)
    assert isinstance(result, Invalid)
    assert "25 parts" in result.problem


def test_long_mention_is_refused() -> None:
    result = parse_mention("LM358 " * 2000)
    assert isinstance(result, Invalid)
    assert "characters" in result.problem


# --- properties -------------------------------------------------------------------------------------

_GRAMMAR_TOKENS = st.one_of(
    st.sampled_from(["x", "×", "qty=", "qty", "k", "K", ".", ",", ", ", ";", "\n", "\r\n", " ", "\t", "*", "?", "help", "usage"]),
    st.sampled_from(
        ["--all", "--public", "--currency", "--country", "--currency=", "--country=", "--", "--x", "EUR", "de", "ZZZ"]
    ),
    st.from_regex(r"[0-9]{1,400}(\.[0-9]{1,5})?k?", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9\-_.,/+#()]{1,45}", fullmatch=True),
    st.text(max_size=5),
)
GRAMMARISH = st.lists(_GRAMMAR_TOKENS, max_size=60).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=300), st.text(min_size=3900, max_size=4200), GRAMMARISH)


def _check_command(result: object) -> None:
    assert isinstance(result, (Help, Usage, Lookup, Invalid))
    if isinstance(result, Lookup):
        assert 1 <= len(result.items) <= MAX_ITEMS
        for item in result.items:
            assert check_mpn(item.mpn) is None, item
            assert 1 <= item.quantity <= MAX_QUANTITY, item
        assert result.options.currency in CURRENCIES
        assert result.options.country in COUNTRIES
    if isinstance(result, Invalid):
        assert result.problem and result.hint


@FAST
@given(ANY_TEXT)
@example("LM358 x" + "9" * 400)
@example("\x00")
@example("LM358 --currency")
def test_parse_command_never_raises(text: str) -> None:
    _check_command(parse_command(text))


@FAST
@given(ANY_TEXT)
@example("LM358 x" + "9" * 400)
@example("what would " + "9" * 400 + " pcs of NE555DR cost")
def test_parse_mention_never_raises(text: str) -> None:
    _check_command(parse_mention(text))


@FAST
@given(st.one_of(st.binary(max_size=3000), GRAMMARISH.map(lambda t: ("MPN,Qty\n" + t).encode("utf-8", "replace"))))
@example(b"MPN,Qty\nLM358," + b"9" * 400 + b"\n")
def test_read_bom_never_raises(data: bytes) -> None:
    result = read_bom(data)
    assert isinstance(result, (Bom, BomError))
    if isinstance(result, Bom):
        for line in result.lines:
            assert mpn_problem(line.item.mpn) is None
            assert 1 <= line.item.quantity <= MAX_QUANTITY


_MPN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.,/+#()"
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
VALID_MPN = st.builds(
    lambda first, rest, last: first + rest + last,
    st.sampled_from(_ALNUM),
    st.text(alphabet=_MPN_CHARS, max_size=MAX_MPN_LENGTH - 2),
    st.sampled_from(_ALNUM),
).filter(lambda m: m.lower() not in ("help", "usage"))


@st.composite
def quantity_text(draw: st.DrawFn) -> tuple[int, str | None]:
    """(quantity, its written form, None for the default of 1)."""
    q = draw(st.one_of(st.integers(1, 1000), st.integers(1, MAX_QUANTITY), st.integers(1, 20_000).map(lambda n: n * 500)))
    forms: list[str | None] = [f"x{q}", f"{q}", f"qty={q}", f"x {q}", f"qty {q}", f"×{q}", f"X{q}", f"QTY={q}"]
    if q % 500 == 0 and q <= MAX_QUANTITY:
        # Halves are exact in binary floating point; other decimals are covered by
        # test_k_suffix_with_decimals_is_exact.
        k = f"{q / 1000:.1f}".removesuffix(".0") + draw(st.sampled_from(["k", "K"]))
        forms += [f"x{k}", k]
    if q == 1:
        forms.append(None)
    return q, draw(st.sampled_from(forms))


@st.composite
def options_text(draw: st.DrawFn) -> tuple[Options, list[str]]:
    tokens: list[str] = []
    all_sellers = draw(st.booleans())
    public = draw(st.booleans())
    currency = draw(st.one_of(st.none(), st.sampled_from(sorted(CURRENCIES))))
    country = draw(st.one_of(st.none(), st.sampled_from(sorted(COUNTRIES))))
    if all_sellers:
        tokens.append(draw(st.sampled_from(["--all", "--ALL"])))
    if public:
        tokens.append("--public")
    if currency:
        c = draw(st.sampled_from([currency, currency.lower()]))
        tokens.append(draw(st.sampled_from([f"--currency {c}", f"--currency={c}"])))
    if country:
        c = draw(st.sampled_from([country, country.lower()]))
        tokens.append(draw(st.sampled_from([f"--country {c}", f"--country={c}"])))
    tokens = draw(st.permutations(tokens))
    return Options(all_sellers, currency or "USD", country or "US", public), tokens


@FAST
@given(
    st.lists(st.tuples(VALID_MPN, quantity_text()), min_size=1, max_size=MAX_ITEMS),
    options_text(),
    st.lists(
        st.sampled_from([", ", "; ", " ; ", "\n", " ;\n", ",\n", " , ", "\r\n", ",\t"]), min_size=MAX_ITEMS, max_size=MAX_ITEMS
    ),
    st.data(),
)
def test_generated_valid_commands_round_trip(
    parts: list[tuple[str, tuple[int, str | None]]],
    opts: tuple[Options, list[str]],
    seps: list[str],
    data: st.DataObject,
) -> None:
    expected_options, option_tokens = opts
    chunks = [[mpn] + ([written] if written else []) for mpn, (_, written) in parts]
    # Options go at a token boundary: before a part, between a part's MPN and its
    # quantity, or at the very end (an option glued to a separator is a separate test).
    for token in option_tokens:
        slots = [(i, 0) for i in range(len(chunks))] + [(len(chunks) - 1, len(chunks[-1]))]
        slots += [(i, 1) for i, c in enumerate(chunks) if len(c) > 1 and not c[0].startswith("--")]
        i, at = data.draw(st.sampled_from(slots))
        chunks[i].insert(at, token)
    text = " ".join(chunks[0])
    for sep, chunk in zip(seps, chunks[1:], strict=False):
        text += sep + " ".join(chunk)
    result = parse_command(text)
    assert isinstance(result, Lookup), f"{text!r} → {result!r}"
    assert [(i.mpn, i.quantity) for i in result.items] == [(mpn, q) for mpn, (q, _) in parts]
    assert result.options == expected_options


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LM358 x100 NE555 x50", [("LM358", 100), ("NE555", 50)]),
        ("500 pcs of LM358DR and 20 pcs of NE555DR", [("LM358DR", 500), ("NE555DR", 20)]),
        ("LM358DR 100 pcs, NE555DR 50 pcs please", [("LM358DR", 100), ("NE555DR", 50)]),
        ("2N3904 and BC547B, 1k each", [("2N3904", 1000), ("BC547B", 1000)]),
        ("qty 20 of LM358 and NE555P please", [("LM358", 20), ("NE555P", 20)]),
        ("LM358DR x100, then NE555DR and BC547B", [("LM358DR", 100), ("NE555DR", 100), ("BC547B", 100)]),
        ("LM358DR x100 and NE555DR x5 and BC547B", [("LM358DR", 100), ("NE555DR", 5), ("BC547B", 1)]),
    ],
)
def test_plain_english_pairs_each_quantity_with_its_part(text: str, expected: list[tuple[str, int]]) -> None:
    assert m_items(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LM358DR 50 pcs of NE555DR, 20 pcs of BC547B", [("LM358DR", 1), ("NE555DR", 50), ("BC547B", 20)]),
        ("NE555DR x100 LM358DR x5", [("NE555DR", 100), ("LM358DR", 5)]),
        ("how much is lm358dr x5 and ne555dr x7", [("lm358dr", 5), ("ne555dr", 7)]),
    ],
)
def test_plain_english_binding_edge_cases(text: str, expected: list[tuple[str, int]]) -> None:
    assert m_items(text) == expected


def test_a_mention_may_name_twenty_parts_but_not_twenty_one() -> None:
    twenty = " ".join(f"PART{i:02d}X" for i in range(20))
    assert len(lookup_items_of_mention(twenty)) == 20
    result = parse_mention(twenty + " PART99X")
    assert isinstance(result, Invalid) and "21 parts" in result.problem


def lookup_items_of_mention(text: str) -> list[LineItem]:
    result = parse_mention("price " + text)
    assert isinstance(result, Lookup)
    return list(result.items)


@pytest.mark.parametrize(("text", "example"), [("LM358 --currency", "--currency EUR"), ("LM358 --country", "--country DE")])
def test_an_option_without_its_code_shows_an_example(text: str, example: str) -> None:
    result = parse_command(text)
    assert isinstance(result, Invalid) and f"`{example}`" in result.problem
