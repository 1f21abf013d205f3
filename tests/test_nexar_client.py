"""The Nexar client against the fake Nexar over real HTTP, and its queries against the schema."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import build_schema, parse, validate

from bot.adapters.nexar import NexarClient
from bot.adapters.nexar_queries import MULTI_MATCH, QUERIES, SEARCH_BATCH, SEARCH_MPN
from bot.domain.models import LookupKey, SearchResult
from bot.ports import PartLimitExceeded, PossiblyBilled, QueryRejected, SourceError, SourceUnavailable
from tests.conftest import NEXAR_ID, NEXAR_SECRET, free_port
from tests.fakes.nexar import FakeNexar
from tests.shared import nexar_schema_errors, nexar_variable_errors, shared_dir


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(fake_nexar: FakeNexar, sleeps: Sleeps) -> Iterator[NexarClient]:
    c = NexarClient(NEXAR_ID, NEXAR_SECRET, token_url=fake_nexar.token_url, api_url=fake_nexar.api_url, timeout=1.0, sleep=sleeps)
    yield c
    c.close()


KEY = LookupKey("AD7685ARM")
SELLERS = {"currency": "USD", "country": "US", "authorizedOnly": True, "includeBrokers": False}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_is_valid_against_nexars_published_schema(name: str) -> None:
    assert nexar_schema_errors(QUERIES[name]) == []


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_is_valid_against_the_fakes_schema(name: str) -> None:
    sdl = (Path(__file__).parent / "fakes" / "supply.graphql").read_text()
    assert validate(build_schema(sdl), parse(QUERIES[name])) == []


def test_search_parses_the_part(client: NexarClient, fake_nexar: FakeNexar) -> None:
    result = client.search_mpn(KEY, 1)
    assert result.part is not None and result.part.mpn == "AD7685ARM"
    assert result.part.manufacturer == "Analog Devices"
    assert result.hits >= 2
    assert all(s.is_authorized and not s.is_broker for s in result.part.sellers)
    assert result.part.sellers and result.part.sellers[0].offers[0].prices
    assert fake_nexar.matched_parts_billed == 1
    everyone = client.search_mpn(LookupKey("BC547B", all_sellers=True), 1)
    assert everyone.part is not None and any(s.is_broker for s in everyone.part.sellers)


def test_token_is_cached_and_renewed_before_expiry(fake_nexar: FakeNexar, sleeps: Sleeps) -> None:
    now = [time.time()]
    c = NexarClient(
        NEXAR_ID, NEXAR_SECRET, token_url=fake_nexar.token_url, api_url=fake_nexar.api_url, sleep=sleeps, clock=lambda: now[0]
    )
    for _ in range(3):
        c.search_mpn(KEY, 1)
    assert fake_nexar.token_requests == 1
    now[0] += 86400 - 301
    c.search_mpn(KEY, 1)
    assert fake_nexar.token_requests == 1
    now[0] += 2  # inside the last five minutes
    c.search_mpn(KEY, 1)
    assert fake_nexar.token_requests == 2
    c.close()


def test_an_invalid_token_is_renewed_once_too(client: NexarClient, fake_nexar: FakeNexar) -> None:
    invalid = {"errors": [{"message": "Token validation failed.", "extensions": {"code": "AuthInvalidToken"}}]}
    fake_nexar.reply_next(200, invalid)
    assert client.search_mpn(KEY, 1).part is not None
    assert fake_nexar.token_requests == 2


def test_expired_token_is_renewed_once_and_retried(client: NexarClient, fake_nexar: FakeNexar) -> None:
    client.search_mpn(KEY, 1)
    fake_nexar.expire_tokens()
    assert client.search_mpn(KEY, 1).part is not None
    assert fake_nexar.token_requests == 2
    fake_nexar.fail_next("expired", times=2)
    with pytest.raises(SourceError):
        client.search_mpn(KEY, 1)
    assert fake_nexar.token_requests == 3


@pytest.mark.parametrize("kind", ["500", "502", "503", "429", "disconnect"])
def test_transient_failures_are_retried(client: NexarClient, fake_nexar: FakeNexar, kind: str) -> None:
    fake_nexar.fail_next(kind, times=2, retry_after=0)
    assert client.search_mpn(KEY, 1).part is not None
    assert fake_nexar.matched_parts_billed == 1
    assert len(fake_nexar.requests) == 3


class FailingConnects(httpx.BaseTransport):
    """Real loopback HTTP, except that the first `n` requests fail to connect in time."""

    def __init__(self, n: int) -> None:
        self.n, self.real = n, httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.n > 0:
            self.n -= 1
            raise httpx.ConnectTimeout("timed out", request=request)
        return self.real.handle_request(request)

    def close(self) -> None:
        self.real.close()


def test_connect_timeouts_and_refusals_are_retried_and_never_billed(fake_nexar: FakeNexar, sleeps: Sleeps) -> None:
    transport = FailingConnects(2)
    with httpx.Client(transport=transport, timeout=1.0) as http:
        c = NexarClient(
            NEXAR_ID, NEXAR_SECRET, token_url=fake_nexar.token_url, api_url=fake_nexar.api_url, http=http, sleep=sleeps
        )
        assert c.search_mpn(KEY, 1).part is not None  # the token request failed to connect twice
        transport.n = 2
        assert c.search_mpn(KEY, 1).part is not None  # and so did this query
    assert len(sleeps) == 4 and len(fake_nexar.requests) == 2 and fake_nexar.token_requests == 1
    refused = NexarClient(
        NEXAR_ID, NEXAR_SECRET, token_url=fake_nexar.token_url, api_url=f"http://127.0.0.1:{free_port()}/graphql", sleep=sleeps
    )
    with pytest.raises(SourceUnavailable) as err:
        refused.search_mpn(KEY, 1)
    assert type(err.value) is SourceUnavailable, "a query that never connected cannot have been billed"
    refused.close()


def test_a_read_timeout_is_retried_once(client: NexarClient, fake_nexar: FakeNexar) -> None:
    fake_nexar.fail_next("timeout", seconds=2)
    assert client.search_mpn(KEY, 1).part is not None
    assert len(fake_nexar.requests) == 2


def test_a_second_read_timeout_fails_as_possibly_billed(client: NexarClient, fake_nexar: FakeNexar, sleeps: Sleeps) -> None:
    fake_nexar.fail_next("timeout", times=5, seconds=2, bill=True)
    with pytest.raises(PossiblyBilled) as err:
        client.search_mpn(KEY, 1)
    assert len(fake_nexar.requests) == 2 and len(sleeps) == 1
    assert fake_nexar.matched_parts_billed == 2, "Nexar ran both queries; only their answers were late"
    assert "counts against your quota" in err.value.user_message


def test_after_a_read_timeout_the_query_is_sent_once_more_whatever_the_retry_meets(
    client: NexarClient, fake_nexar: FakeNexar
) -> None:
    fake_nexar.fail_next("timeout", seconds=2)
    fake_nexar.fail_next("503", times=5, retry_after=0)
    with pytest.raises(PossiblyBilled):
        client.search_mpn(KEY, 1)
    assert [r.status for r in fake_nexar.requests] == [200, 503]  # the first answer came too late
    fake_nexar.reset()
    fake_nexar.fail_next("503", retry_after=0)
    fake_nexar.fail_next("timeout", times=5, seconds=2)
    with pytest.raises(PossiblyBilled):
        client.search_mpn(KEY, 1)
    assert len(fake_nexar.requests) == 3


def test_429_waits_as_long_as_retry_after_says(client: NexarClient, fake_nexar: FakeNexar, sleeps: Sleeps) -> None:
    fake_nexar.fail_next("429", retry_after=3)
    assert client.search_mpn(KEY, 1).part is not None
    assert sleeps == [3.0]


def test_a_401_without_json_renews_the_token_once(client: NexarClient, fake_nexar: FakeNexar) -> None:
    client.search_mpn(KEY, 1)
    fake_nexar.fail_next("unauthorized")
    assert client.search_mpn(KEY, 1).part is not None
    assert fake_nexar.token_requests == 2
    fake_nexar.reply_next(401, "<html><body>401 Unauthorized</body></html>", content_type="text/html", times=2)
    with pytest.raises(SourceError) as err:
        client.search_mpn(KEY, 1)
    assert "keeps rejecting partbot's token" in err.value.user_message
    assert fake_nexar.token_requests == 3
    assert client.search_mpn(KEY, 1).part is not None


def test_retries_are_bounded(client: NexarClient, fake_nexar: FakeNexar, sleeps: Sleeps) -> None:
    fake_nexar.fail_next("500", times=10)
    with pytest.raises(SourceUnavailable):
        client.search_mpn(KEY, 1)
    graphql_requests = [r for r in fake_nexar.requests]
    assert len(graphql_requests) == 3 and len(sleeps) == 2
    assert sleeps[1] > sleeps[0]


def test_part_limit_is_explained_and_not_retried(client: NexarClient, fake_nexar: FakeNexar) -> None:
    fake_nexar.fail_next("part_limit", times=5)
    with pytest.raises(PartLimitExceeded) as err:
        client.search_mpn(KEY, 1)
    assert "used up its matched parts" in err.value.user_message
    assert len(fake_nexar.requests) == 1


def test_plan_part_limit_reached(client: NexarClient, fake_nexar: FakeNexar) -> None:
    fake_nexar.part_limit = 1
    client.search_mpn(KEY, 1)
    with pytest.raises(PartLimitExceeded):
        client.search_mpn(LookupKey("NE555DR"), 1)


def test_graphql_errors_and_garbage(client: NexarClient, fake_nexar: FakeNexar) -> None:
    fake_nexar.fail_next("graphql_error", message="Field 'x' is broken")
    with pytest.raises(QueryRejected):
        client.search_mpn(KEY, 1)
    fake_nexar.fail_next("garbage")
    with pytest.raises(SourceUnavailable):
        client.search_mpn(KEY, 1)


def test_bad_credentials_say_so(fake_nexar: FakeNexar, sleeps: Sleeps) -> None:
    c = NexarClient(NEXAR_ID, "wrong", token_url=fake_nexar.token_url, api_url=fake_nexar.api_url, sleep=sleeps)
    with pytest.raises(SourceError) as err:
        c.search_mpn(KEY, 1)
    assert "credentials were refused" in err.value.user_message
    assert "wrong" not in str(err.value)


def test_multi_match_keeps_each_querys_answer(client: NexarClient, fake_nexar: FakeNexar) -> None:
    keys = [LookupKey("NE555DR"), LookupKey("FAIL-ME"), LookupKey("NOSUCHPART1"), LookupKey("LM358DR")]
    results = client.multi_match(keys, 1)
    assert [type(r).__name__ for r in results] == ["SearchResult", "QueryRejected", "SearchResult", "SearchResult"]
    assert results[0].part.mpn == "NE555DR"  # type: ignore[union-attr]
    assert results[2].part is None  # type: ignore[union-attr]
    assert len(fake_nexar.requests) == 1
    assert fake_nexar.matched_parts_billed == 2
    req = fake_nexar.requests[0]
    assert [q["reference"] for q in req.variables["queries"]] == ["0", "1", "2", "3"]
    assert all(q["limit"] == 1 for q in req.variables["queries"])


def test_search_many_is_one_request_with_each_search_answered_as_alone(client: NexarClient, fake_nexar: FakeNexar) -> None:
    keys = [LookupKey("NE555DR"), LookupKey("LM358"), LookupKey("NOSUCHPART1")]
    alone = [client.search_mpn(k, 1) for k in keys]
    fake_nexar.reset()
    assert client.search_many(keys, 1) == alone
    assert len(fake_nexar.requests) == 1
    req = fake_nexar.requests[0]
    assert req.query == SEARCH_BATCH[3]
    assert [req.variables[f"q{i}"] for i in range(3)] == [k.mpn for k in keys]
    assert req.variables["limit"] == 1
    assert fake_nexar.matched_parts_billed == 2


def test_one_failing_search_rejects_the_whole_batch_as_nexar_does(client: NexarClient, fake_nexar: FakeNexar) -> None:
    """supSearchMpn is non-null, so its error nulls `data` (the batching source then asks each alone)."""
    with pytest.raises(QueryRejected):
        client.search_many([LookupKey("NE555DR"), LookupKey("FAIL-ME")], 1)
    assert fake_nexar.matched_parts_billed == 0


def test_search_many_refuses_mixed_options_and_oversized_batches(client: NexarClient) -> None:
    with pytest.raises(ValueError):
        client.search_many([LookupKey("A1"), LookupKey("B2", currency="EUR")], 1)
    with pytest.raises(ValueError):
        client.search_many([LookupKey(f"P{i}") for i in range(21)], 1)


def test_user_text_travels_only_in_variables(client: NexarClient, fake_nexar: FakeNexar) -> None:
    hostile = '") { __schema { types { name } } } #'
    client.search_mpn(LookupKey(hostile), 1)
    req = fake_nexar.requests[0]
    assert req.query == SEARCH_MPN
    assert req.variables["q"] == hostile


def test_suggestions(client: NexarClient) -> None:
    assert "AD7685ARM" in client.suggest("AD7685XYZ")


# --- manufacturer ----------------------------------------------------------------------


@pytest.fixture
def two_makers(fake_nexar: FakeNexar) -> FakeNexar:
    """LM358DR from Texas Instruments (the catalog's, ranked first) and from onsemi."""
    ti = next(p for p in fake_nexar.parts if p["mpn"] == "LM358DR")
    fake_nexar.parts.append({**ti, "manufacturer": {"name": "onsemi"}, "shortDescription": "Op amp, onsemi"})
    return fake_nexar


def test_a_manufacturer_goes_to_supmultimatch_with_limit_one(client: NexarClient, two_makers: FakeNexar) -> None:
    result = client.search_mpn(LookupKey("LM358DR", mfr="ON  Semiconductor"), 1)
    assert result.part is not None and result.part.manufacturer == "onsemi"
    assert result.hits == 1
    req = two_makers.requests[-1]
    assert req.query == MULTI_MATCH
    assert req.variables["queries"] == [{"mpn": "LM358DR", "limit": 1, "reference": "0", "manufacturer": "ON Semiconductor"}]
    assert two_makers.matched_parts_billed == 1
    assert client.search_mpn(LookupKey("LM358DR"), 1).hits == 2


@pytest.mark.parametrize(
    ("mfr", "found"),
    [
        ("Texas Instruments", "Texas Instruments"),
        ("TI", "Texas Instruments"),
        ("texas instruments", "Texas Instruments"),
        ("onsemi", "onsemi"),
        ("Texas Instrumentos", None),
        ("Analog Devices", None),
    ],
)
def test_only_that_manufacturers_part_is_matched(client: NexarClient, two_makers: FakeNexar, mfr: str, found: str | None) -> None:
    result = client.search_mpn(LookupKey("LM358DR", mfr=mfr), 1)
    assert (result.part.manufacturer if result.part else None) == found
    assert two_makers.matched_parts_billed == (1 if found else 0)


def test_multi_match_names_each_querys_own_manufacturer(client: NexarClient, two_makers: FakeNexar) -> None:
    keys = [LookupKey("LM358DR", mfr="onsemi"), LookupKey("NE555DR"), LookupKey("LM358DR", mfr="TI")]
    results = client.multi_match(keys, 1)
    assert [r.part.manufacturer for r in results if isinstance(r, SearchResult) and r.part] == [
        "onsemi",
        "Texas Instruments",
        "Texas Instruments",
    ]
    queries = two_makers.requests[0].variables["queries"]
    assert [q.get("manufacturer") for q in queries] == ["onsemi", None, "TI"]
    assert "manufacturer" not in queries[1], "no manufacturer is sent as none, not as null"
    assert len(two_makers.requests) == 1


def test_search_many_leaves_manufacturers_to_multi_match(client: NexarClient) -> None:
    with pytest.raises(ValueError):
        client.search_many([LookupKey("A1"), LookupKey("B2", mfr="TI")], 1)


# --- orderMultiple ---------------------------------------------------------------------


def test_order_multiple_is_requested_and_parsed_null_included(client: NexarClient, fake_nexar: FakeNexar) -> None:
    part = copy.deepcopy(next(p for p in fake_nexar.parts if p["mpn"] == "NE555DR"))
    offers = [o for s in part["sellers"] for o in s["offers"]]
    offers[0]["orderMultiple"] = 2500
    offers[1]["orderMultiple"] = None
    fake_nexar.parts.insert(0, part)
    result = client.search_mpn(LookupKey("NE555DR"), 1)
    assert result.part is not None
    got = [o.order_multiple for s in result.part.sellers for o in s.offers]
    assert got[:2] == [2500, None] and all(m is None for m in got[2:])
    assert "orderMultiple" in fake_nexar.requests[-1].query


# --- real Nexar answers (../shared/realworld/nexar) ----------------------------------


def realworld(folder: str) -> list[Path]:
    files = sorted((shared_dir() / "realworld" / "nexar" / folder).glob("*.json"))
    if not files:
        pytest.skip(f"no recorded Nexar answers in {shared_dir() / 'realworld/nexar' / folder}")
    return files


def as_answer_to_our_query(recorded: dict[str, Any]) -> dict[str, Any]:
    """A recorded supMultiMatch answer, with the `reference` partbot sends ("0"): Nexar
    echoes the query's reference, and KiCost, who recorded these, sent "q0"."""
    body = copy.deepcopy(recorded)
    body["data"]["supMultiMatch"][0]["reference"] = "0"
    return body


@pytest.mark.parametrize("folder", ["kicost-2022-10", "kicost-2022-12"])
def test_recorded_answers_keep_every_offers_order_multiple(client: NexarClient, fake_nexar: FakeNexar, folder: str) -> None:
    multiples = 0
    for path in realworld(folder):
        recorded = json.loads(path.read_text(encoding="utf-8"))
        match = recorded["data"]["supMultiMatch"][0]
        fake_nexar.reply_next(200, as_answer_to_our_query(recorded))
        [result] = client.multi_match([LookupKey("ANY")], 1)
        assert isinstance(result, SearchResult), path.name
        assert result.hits == match["hits"]
        if not match["parts"]:
            assert result.part is None
            continue
        assert result.part is not None
        want = [o.get("orderMultiple") for s in match["parts"][0]["sellers"] for o in s["offers"]]
        got = [o.order_multiple for s in result.part.sellers for o in s.offers]
        assert got == [m if m and m > 0 else None for m in want], path.name
        multiples += sum(1 for m in got if m and m > 1)
    assert multiples > 100


def test_each_recorded_error_body_is_handled_as_expected(client: NexarClient, fake_nexar: FakeNexar) -> None:
    outcomes = {"SourceError": SourceError, "QueryRejected": QueryRejected, "PartLimitExceeded": PartLimitExceeded}
    for path in realworld("errors"):
        case = json.loads(path.read_text(encoding="utf-8"))
        fake_nexar.reset()
        client.search_mpn(KEY, 1)  # a valid token in hand
        fake_nexar.reset()
        if case["expect"] == "renewed":
            fake_nexar.reply_next(case["http_status"], case["body"])
            then = json.loads((path.parent.parent / case["then_file"]).read_text(encoding="utf-8"))
            fake_nexar.reply_next(200, as_answer_to_our_query(then))
            part = then["data"]["supMultiMatch"][0]["parts"][0]
            [result] = client.multi_match([LookupKey(part["mpn"])], 1)
            assert isinstance(result, SearchResult) and result.part is not None, path.name
            assert (result.part.mpn, fake_nexar.token_requests, len(fake_nexar.requests)) == (part["mpn"], 1, 2)
            continue
        fake_nexar.reply_next(case["http_status"], case["body"], times=5)  # every request, retries included
        with pytest.raises(outcomes[case["expect"]]) as err:
            client.multi_match([KEY], 1)
        assert "Traceback" not in err.value.user_message
        if case["expect"] != "SourceError":
            assert len(fake_nexar.requests) == 1, f"{path.name}: not retried"
        fake_nexar.reset()  # drop the replies left over


def test_the_recorded_octopart_answer_parses(client: NexarClient, fake_nexar: FakeNexar) -> None:
    for path in realworld("octopart-v4"):
        fake_nexar.reply_next(200, path.read_text(encoding="utf-8"))
        result = client.search_mpn(LookupKey("LTC3026EMSE#PBF", all_sellers=True), 1)
        assert result.part is not None and result.part.sellers
        assert all(not s.is_authorized and o.order_multiple is None for s in result.part.sellers for o in s.offers)


def test_variables_sent_are_checked_against_nexars_schema_too() -> None:
    good = {"queries": [{"mpn": "LM358DR", "limit": 1, "reference": "0", "manufacturer": "TI"}], **SELLERS}
    assert nexar_variable_errors(MULTI_MATCH, good) == []
    bad = {"queries": [{"mpn": "LM358DR", "limit": "1", "maker": "TI"}], **SELLERS}
    assert len(nexar_variable_errors(MULTI_MATCH, bad)) == 2  # a string limit, an unknown field
