"""A fake Nexar (Octopart) API for tests: real HTTP on loopback.

It issues HS256 JWTs at ``/connect/token`` and executes GraphQL at ``/graphql`` with
graphql-core against ``supply.graphql`` (a subset of Nexar's published schema), over
a list of part dicts shaped like the bot's ``PartFields`` fragment (by default the
bundled ``bot/data/sample_catalog.json``). It bills matched parts as Nexar does and
can be told to fail in the ways the real service fails, or to answer with a recorded
body verbatim (``reply_next``).

A ``supMultiMatch`` query naming a ``manufacturer`` matches only parts whose manufacturer
Nexar would plausibly take for it (``manufacturer_matches``): the name or one of the
company's aliases, ignoring case, spaces and punctuation, or their leading words. That
reproduces every recorded answer in ``../shared/realworld/nexar/`` (tests check it):
"ST Microelectronics" finds STMicroelectronics, "Walsin" Walsin Technologies, "Avago"
Broadcom, "Rean" Neutrik, while "Texas Instrumentos" finds nothing and "TI" finds
Texas Instruments through its alias, never TinyCircuits.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import fnmatch
import functools
import json
import re
import secrets
import socket
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    build_schema,
    execute_sync,
    parse,
    validate,
)

Part = dict[str, Any]

REPO_ROOT = Path(__file__).resolve().parents[2]
CATALOG_PATH = REPO_ROOT / "bot" / "data" / "sample_catalog.json"
SUPPLY_SDL_PATH = Path(__file__).with_name("supply.graphql")

#: Units of each currency per US dollar (fixed, invented but plausible).
RATES_PER_USD: dict[str, float] = {
    "USD": 1.0,
    "EUR": 0.92,
    "GBP": 0.79,
    "JPY": 150.0,
    "CNY": 7.2,
    "CAD": 1.37,
    "CHF": 0.88,
    "SEK": 10.6,
    "INR": 83.5,
}

PART_LIMIT_MESSAGE = "You have exceeded your part limit. Please upgrade your plan or wait until your limit resets."
DEFAULT_SEARCH_LIMIT = 10
SUGGEST_MIN_PREFIX = 3
SUGGEST_MAX = 5
FAULT_KINDS = frozenset(
    {
        "500",
        "502",
        "503",
        "429",
        "timeout",
        "garbage",
        "graphql_error",
        "expired",
        "part_limit",
        "disconnect",
        "unauthorized",
    }
)
_FAULT_OPTIONS = frozenset({"retry_after", "seconds", "message", "bill"})

#: Other names a company goes by (Nexar's ``SupCompany.aliases``): acronyms, former and
#: acquired names. A few real ones for the sample catalog's makers, and those the recorded
#: answers need ("Avago" answered with Broadcom); Nexar's own lists are longer.
COMPANY_ALIASES: dict[str, tuple[str, ...]] = {
    "Texas Instruments": ("TI", "Texas Instruments Incorporated"),
    "Analog Devices": ("ADI", "Analog Devices Inc."),
    "onsemi": ("ON Semiconductor", "ON Semi", "Fairchild Semiconductor"),
    "STMicroelectronics": ("ST", "STMicro"),
    "Microchip": ("Microchip Technology", "Atmel"),
    "Maxim Integrated": ("Maxim",),
    "Diodes Incorporated": ("Diodes Inc.", "Zetex"),
    "Diodes Inc.": ("Diodes Incorporated", "Zetex"),
    "Pericom": ("Pericom Semiconductor", "Diodes Incorporated"),
    "Broadcom": ("Avago Technologies", "Avago"),
    "Neutrik": ("REAN",),
    "Memory Protection Devices": ("MPD",),
    "Amphenol ICC / FCI": ("Amphenol FCI", "FCI"),
    "Lite-On": ("Lite-On Technology", "Vishay Lite-On"),
    "ALPSALPINE": ("Alps Alpine", "ALPS Electric"),
    "KEMET": ("KEMET Electronics",),
}

_NOT_AUTHENTICATED: dict[str, Any] = {
    "errors": [
        {
            "message": "Not authenticated",
            "extensions": {"code": "AUTH_NOT_AUTHENTICATED"},
        }
    ]
}
_EXPIRED: dict[str, Any] = {
    "data": None,
    "errors": [
        {
            "message": "The access token has expired.",
            "extensions": {"code": "AuthExpiredToken"},
        }
    ],
}


def load_sample_parts() -> list[Part]:
    """The ``parts`` of the bundled sample catalog."""
    catalog = json.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    parts: list[Part] = catalog["parts"]
    return parts


def normalize_mpn(text: str) -> str:
    """Upper-case ``text`` and drop everything but letters and digits."""
    return re.sub(r"[^A-Z0-9]", "", text.upper())


# --------------------------------------------------------------------------- GraphQL


@dataclass
class _Context:
    """Per-request execution context: the data, and the parts billed so far."""

    parts: list[Part]
    failing_mpns: frozenset[str]
    similar: dict[str, list[str]] | None = None
    currency: str = "USD"
    billed: int = 0


def _match_mpn(parts: list[Part], query: str | None) -> list[Part]:
    """Parts whose MPN matches ``query``: exact first, then prefix, then substring."""
    pattern = re.sub(r"[^A-Z0-9*]", "", (query or "").upper())
    if "*" in pattern:
        return [p for p in parts if fnmatch.fnmatchcase(normalize_mpn(p["mpn"]), pattern)]
    ranked: list[tuple[int, int, Part]] = []
    for index, part in enumerate(parts):
        mpn = normalize_mpn(part["mpn"])
        if mpn == pattern:
            ranked.append((0, index, part))
        elif mpn.startswith(pattern):
            ranked.append((1, index, part))
        elif pattern in mpn:
            ranked.append((2, index, part))
    return [part for _, _, part in sorted(ranked, key=lambda r: (r[0], r[1]))]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.casefold())


def manufacturer_matches(query: str, company: dict[str, Any]) -> bool:
    """Whether Nexar would match a query's ``manufacturer`` to ``company`` (see the module doc)."""
    wanted = _words(query)
    names = (company["name"], *company.get("aliases", ()), *COMPANY_ALIASES.get(company["name"], ()))
    for name in names:
        words = _words(name)
        if "".join(words) == "".join(wanted) or words[: len(wanted)] == wanted:
            return True
    return False


def _match_sku(parts: list[Part], sku: str) -> list[Part]:
    """Parts with an offer whose SKU equals ``sku`` (normalized)."""
    wanted = normalize_mpn(sku)
    return [
        part
        for part in parts
        if any(normalize_mpn(offer["sku"]) == wanted for seller in part.get("sellers", []) for offer in seller.get("offers", []))
    ]


def _priced(part: Part, currency: str) -> Part:
    """A copy of ``part`` whose price points are converted to ``currency``."""
    target = currency.upper() if currency.upper() in RATES_PER_USD else "USD"
    out = copy.deepcopy(part)
    for seller in out.get("sellers", []):
        for offer in seller.get("offers", []):
            for point in offer.get("prices", []):
                source_rate = RATES_PER_USD.get(str(point["currency"]).upper(), 1.0)
                rate = round(RATES_PER_USD[target] / source_rate, 6)
                point["conversionRate"] = rate
                point["convertedPrice"] = round(point["price"] * rate, 6)
                point["convertedCurrency"] = target
    return out


def _has_authorized_seller(part: Part) -> bool:
    return any(seller["isAuthorized"] for seller in part.get("sellers", []))


def _page(items: list[Part], start: int | None, limit: int | None, default: int) -> list[Part]:
    first = max(start or 0, 0)
    size = default if limit is None else max(limit, 0)
    return items[first : first + size]


def _resolve_search_mpn(_root: None, info: GraphQLResolveInfo[_Context], **args: Any) -> dict[str, Any]:
    ctx: _Context = info.context
    ctx.currency = args["currency"]
    if normalize_mpn(args.get("q") or "") in ctx.failing_mpns:
        raise GraphQLError("Query failed")  # the field is null, with an error whose path names it
    matches = _match_mpn(ctx.parts, args.get("q"))
    if args.get("inStockOnly"):
        matches = [p for p in matches if p["totalAvail"] > 0]
    page = _page(matches, args.get("start"), args.get("limit"), DEFAULT_SEARCH_LIMIT)
    currency: str = args["currency"]
    return {
        "hits": len(matches),
        "results": [{"part": _priced(p, currency), "description": p["shortDescription"]} for p in page],
    }


def _match_one(ctx: _Context, query: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """One ``SupPartMatch`` for one ``SupPartMatchQuery``."""
    reference = query.get("reference")
    keys = [query.get(name) for name in ("mpn", "mpnOrSku", "sku")]
    if any(key and normalize_mpn(key) in ctx.failing_mpns for key in keys):
        return {"reference": reference, "hits": 0, "parts": [], "error": "Query failed"}
    mpn, mpn_or_sku, sku = keys
    if mpn:
        matches = _match_mpn(ctx.parts, mpn)
    elif mpn_or_sku:
        by_mpn = _match_mpn(ctx.parts, mpn_or_sku)
        matches = by_mpn + [p for p in _match_sku(ctx.parts, mpn_or_sku) if p not in by_mpn]
    elif sku:
        matches = _match_sku(ctx.parts, sku)
    else:
        return {
            "reference": reference,
            "hits": 0,
            "parts": [],
            "error": "A query needs one of mpn, sku or mpnOrSku.",
        }
    if query.get("manufacturer") and _words(query["manufacturer"]):
        matches = [p for p in matches if manufacturer_matches(query["manufacturer"], p["manufacturer"])]
    if query.get("seller"):
        wanted = normalize_mpn(query["seller"])
        matches = [p for p in matches if any(wanted in normalize_mpn(s["company"]["name"]) for s in p.get("sellers", []))]
    if options.get("requireAuthorizedSellers"):
        matches = [p for p in matches if _has_authorized_seller(p)]
    if options.get("requireStockAvailable"):
        matches = [p for p in matches if p["totalAvail"] > 0]
    page = _page(matches, query["start"], query["limit"], default=3)
    return {"reference": reference, "hits": len(matches), "parts": page, "error": None}


def _resolve_multi_match(_root: None, info: GraphQLResolveInfo[_Context], **args: Any) -> list[dict[str, Any]]:
    ctx: _Context = info.context
    ctx.currency = args["currency"]
    options: dict[str, Any] = args.get("options") or {}
    matches = [_match_one(ctx, query, options) for query in args["queries"]]
    for match in matches:
        match["parts"] = [_priced(p, args["currency"]) for p in match["parts"]]
    return matches


def part_id(part: Part) -> str:
    """A part's Octopart id: the number that ends its ``octopartUrl``, as on octopart.com."""
    return str(part.get("id") or str(part["octopartUrl"]).rsplit("-", 1)[-1])


def _resolve_parts(_root: None, info: GraphQLResolveInfo[_Context], **args: Any) -> list[Part | None]:
    """``supParts``: each id's part or null, each part found billed."""
    ctx: _Context = info.context
    by_id = {part_id(p): p for p in ctx.parts}
    found = [by_id.get(str(i)) for i in args["ids"]]
    ctx.billed += sum(1 for p in found if p is not None)
    return [None if p is None else _priced(p, args["currency"]) for p in found]


def _resolve_suggest(_root: None, info: GraphQLResolveInfo[_Context], **args: Any) -> list[dict[str, str]]:
    ctx: _Context = info.context
    query = normalize_mpn(args["q"])

    def shared_prefix(mpn: str) -> int:
        length = 0
        for a, b in zip(query, normalize_mpn(mpn), strict=False):
            if a != b:
                break
            length += 1
        return length

    scored = [(shared_prefix(p["mpn"]), p["mpn"]) for p in ctx.parts]
    best = max((score for score, _ in scored), default=0)
    if best < SUGGEST_MIN_PREFIX:
        return []
    texts = [mpn for score, mpn in scored if score == best][:SUGGEST_MAX]
    return [
        {
            "text": text,
            "inCategoryName": "",
            "inCategoryId": "",
            "inManufacturerName": "",
            "inPartId": "",
        }
        for text in texts
    ]


def _resolve_sellers(part: Part, _info: GraphQLResolveInfo[_Context], **args: Any) -> list[dict[str, Any]]:
    sellers = [
        s
        for s in part.get("sellers", [])
        if (s["isAuthorized"] or not args["authorizedOnly"]) and (args["includeBrokers"] or not s["isBroker"])
    ]
    first = max(args.get("start") or 0, 0)
    limit = args.get("limit")
    return sellers[first:] if limit is None else sellers[first : first + max(limit, 0)]


_COMMON_SPECS = {"lifecyclestatus", "case_package", "rohs"}


def _resolve_similar_parts(part: Part, info: GraphQLResolveInfo[_Context]) -> list[Part]:
    """``similarParts``: the parts ``FakeNexar.similar`` names for this one, or else those
    sharing a spec other than lifecycle, package and RoHS. Every one is billed."""
    ctx: _Context = info.context
    if ctx.similar is not None:
        wanted = [normalize_mpn(m) for m in ctx.similar.get(normalize_mpn(part["mpn"]), [])]
        found = [p for w in wanted for p in ctx.parts if normalize_mpn(p["mpn"]) == w]
    else:
        kinds = {s["attribute"]["shortname"] for s in part.get("specs", [])} - _COMMON_SPECS
        found = [
            p
            for p in ctx.parts
            if p["mpn"] != part["mpn"] and kinds & ({s["attribute"]["shortname"] for s in p.get("specs", [])} - _COMMON_SPECS)
        ]
    ctx.billed += len(found)
    return [_priced(p, ctx.currency) for p in found]


def _resolve_result_part(result: dict[str, Any], info: GraphQLResolveInfo[_Context]) -> Part:
    info.context.billed += 1
    part: Part = result["part"]
    return part


def _resolve_match_parts(match: dict[str, Any], info: GraphQLResolveInfo[_Context]) -> list[Part]:
    parts: list[Part] = match["parts"]
    info.context.billed += len(parts)
    return parts


def build_supply_schema() -> GraphQLSchema:
    """The subset schema from ``supply.graphql``, with the fake's resolvers attached."""
    schema = build_schema(SUPPLY_SDL_PATH.read_text(encoding="utf-8"))
    resolvers = {
        ("Query", "supSearchMpn"): _resolve_search_mpn,
        ("Query", "supMultiMatch"): _resolve_multi_match,
        ("Query", "supSuggest"): _resolve_suggest,
        ("Query", "supParts"): _resolve_parts,
        ("SupPart", "sellers"): _resolve_sellers,
        ("SupPart", "id"): lambda part, _info: part_id(part),
        ("SupPartResult", "part"): _resolve_result_part,
        ("SupPartMatch", "parts"): _resolve_match_parts,
        ("SupPart", "similarParts"): _resolve_similar_parts,
    }
    for (type_name, field_name), resolver in resolvers.items():
        object_type = schema.get_type(type_name)
        assert isinstance(object_type, GraphQLObjectType)
        object_type.fields[field_name].resolve = resolver
    return schema


SUPPLY_SCHEMA = build_supply_schema()


@functools.lru_cache(maxsize=256)
def _checked_document(query: str) -> tuple[DocumentNode | None, list[Any]]:
    """Parse and validate ``query`` (cached: clients resend the same few documents)."""
    try:
        document = parse(query)
    except GraphQLError as error:
        return None, [error.formatted]
    errors = validate(SUPPLY_SCHEMA, document)
    if errors:
        return None, [e.formatted for e in errors]
    return document, []


# ------------------------------------------------------------------------------ HTTP

_Request = tuple[str, dict[str, Any] | None, str | None]


def _parse_request(payload: Any) -> _Request | str:
    """``(query, variables, operationName)`` of a GraphQL POST body, or what is wrong with it."""
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return "Expected a JSON object with a `query` string."
    variables, operation_name = payload.get("variables"), payload.get("operationName")
    if variables is not None and not isinstance(variables, dict):
        return "`variables` must be a JSON object."
    if operation_name is not None and not isinstance(operation_name, str):
        return "`operationName` must be a string."
    return payload["query"], variables, operation_name


@dataclass
class GraphQLRequest:
    """One request the fake received at ``/graphql``."""

    query: str
    variables: dict[str, Any]
    operation_name: str | None
    headers: dict[str, str]  # lower-cased names
    status: int  # HTTP status answered; 0 when the connection was dropped
    matched_parts: int  # parts billed for this request
    at: float = 0.0  # time.monotonic() when the request arrived


@dataclass(frozen=True)
class _Fault:
    kind: str
    options: dict[str, Any]


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    disconnect: bool = False


def _json_reply(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> _Reply:
    return _Reply(status, json.dumps(payload).encode(), headers=headers)


def _html_reply(status: int, html: str, headers: tuple[tuple[str, str], ...] = ()) -> _Reply:
    return _Reply(status, html.encode(), content_type="text/html", headers=headers)


def _errors(message: str) -> dict[str, Any]:
    return {"errors": [{"message": message}]}


_PART_LIMIT_REPLY = _json_reply(500, _errors(PART_LIMIT_MESSAGE))
#: What ASP.NET Core's bearer-token check answers, before any GraphQL runs: no body at all.
#: (Nexar's GraphQL errors carry HotChocolate's `remote`/`schemaName` extensions: .NET.)
_UNAUTHORIZED_REPLY = _Reply(
    401,
    content_type="text/plain",
    headers=(("WWW-Authenticate", 'Bearer error="invalid_token", error_description="The token is expired"'),),
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, fake: FakeNexar) -> None:
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that hang up; report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes
    timeout = 60  # idle keep-alive connections are closed after this many seconds
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Do not log each request to stderr."""

    def do_GET(self) -> None:
        self._send(_json_reply(405, _errors("Use POST.")))

    def do_POST(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._send(_json_reply(411, _errors("Content-Length required.")))
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            self._send(_json_reply(400, _errors("Bad Content-Length.")))
            return
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            reply = self.server.fake._dispatch(urlsplit(self.path).path, headers, body)
        except Exception:  # a bug in the fake: answer 500 and show the traceback
            traceback.print_exc()
            reply = _json_reply(500, _errors("fake Nexar crashed"))
        if reply.delay > 0:
            self.server.fake._stopping.wait(reply.delay)
        if reply.disconnect:
            self.close_connection = True
            return
        self._send(reply)

    def _send(self, reply: _Reply) -> None:
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
            self.wfile.flush()
        except OSError:  # the client hung up, or stop() closed the socket
            self.close_connection = True


class FakeNexar:
    """A Nexar token endpoint and GraphQL API on ``127.0.0.1`` (random port)."""

    def __init__(
        self,
        parts: list[Part] | None = None,
        *,
        client_id: str = "test-client",
        client_secret: str = "test-secret",
        token_lifetime: int = 86400,
    ) -> None:
        self.parts: list[Part] = load_sample_parts() if parts is None else list(parts)
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime = token_lifetime
        self.latency: float = 0.0
        self.part_limit: int | None = None
        self.failing_mpns: set[str] = {"FAIL-ME"}
        self.similar: dict[str, list[str]] | None = None
        """``similarParts`` by normalized MPN; None: parts sharing a telling spec."""
        self.requests: list[GraphQLRequest] = []
        self.token_requests: int = 0
        self.matched_parts_billed: int = 0
        self.in_flight: int = 0
        self.max_in_flight: int = 0
        self.hold: threading.Event | None = None
        """While set to an Event that is not set, each GraphQL request waits for it (≤ 30 s)."""
        self._lock = threading.Lock()
        self._faults: deque[_Fault] = deque()
        self._key = secrets.token_bytes(32)
        self._issued: set[str] = set()
        self._expired: set[str] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> Self:
        """Listen on a free loopback port and serve in a background thread."""
        if self._server is not None:
            raise RuntimeError("FakeNexar is already running")
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-nexar",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop open connections (sleeping faults wake up at once)."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with server.connections_lock:
            for connection in server.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeNexar is not running; call start() first")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/connect/token"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/graphql"

    # -- test controls

    def fail_next(self, kind: str, times: int = 1, **kw: Any) -> None:
        """Answer the next ``times`` /graphql requests with fault ``kind``.

        Options: ``retry_after`` (429, 503), ``seconds`` (timeout, default 10),
        ``bill`` (timeout: the query ran and was billed, only its answer is late),
        ``message`` (graphql_error).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        unknown = set(kw) - _FAULT_OPTIONS
        if unknown:
            raise TypeError(f"unknown fault options: {sorted(unknown)}")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.extend(_Fault(kind, dict(kw)) for _ in range(times))

    def reply_next(
        self,
        status: int,
        body: bytes | str | dict[str, Any],
        *,
        content_type: str = "application/json",
        headers: tuple[tuple[str, str], ...] = (),
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` /graphql requests with ``body`` as given (a dict as JSON)."""
        if times < 1:
            raise ValueError("times must be at least 1")
        raw = json.dumps(body).encode() if isinstance(body, dict) else body.encode() if isinstance(body, str) else body
        reply = _Reply(status, raw, content_type=content_type, headers=headers)
        with self._lock:
            self._faults.extend(_Fault("reply", {"reply": reply}) for _ in range(times))

    def expire_tokens(self) -> None:
        """Make every token issued so far answer as expired."""
        with self._lock:
            self._expired |= self._issued

    def reset(self) -> None:
        """Forget recorded requests, counters and queued faults."""
        with self._lock:
            self.requests.clear()
            self.token_requests = 0
            self.matched_parts_billed = 0
            self._faults.clear()

    # -- request handling (called from server threads)

    def _dispatch(self, path: str, headers: dict[str, str], body: bytes) -> _Reply:
        if path == "/connect/token":
            return self._token(headers, body)
        if path == "/graphql":
            return self._graphql(headers, body)
        return _json_reply(404, _errors(f"No route for {path}"))

    def _token(self, headers: dict[str, str], body: bytes) -> _Reply:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials).decode()
            except ValueError:
                decoded = ""
            basic_id, _, basic_secret = decoded.partition(":")
            client_id, client_secret = unquote(basic_id), unquote(basic_secret)
        if (client_id, client_secret) != (self.client_id, self.client_secret):
            return _json_reply(400, {"error": "invalid_client"})
        if form.get("grant_type") != "client_credentials":
            return _json_reply(400, {"error": "unsupported_grant_type"})
        now = int(time.time())
        jti = uuid.uuid4().hex
        claims = {
            "iat": now,
            "exp": now + self.token_lifetime,
            "sub": client_id,
            "jti": jti,
        }
        token = jwt.encode(claims, self._key, algorithm="HS256")
        with self._lock:
            self.token_requests += 1
            self._issued.add(jti)
        payload = {
            "access_token": token,
            "expires_in": self.token_lifetime,
            "token_type": "Bearer",
            "scope": "supply.domain",
        }
        return _json_reply(200, payload, headers=(("Cache-Control", "no-store"),))

    def _token_state(self, authorization: str) -> str:
        """``"ok"``, ``"expired"`` or ``"invalid"`` for an Authorization header."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return "invalid"
        try:
            claims = jwt.decode(token.strip(), self._key, algorithms=["HS256"])
        except jwt.ExpiredSignatureError:
            return "expired"
        except jwt.InvalidTokenError:
            return "invalid"
        with self._lock:
            return "expired" if claims.get("jti") in self._expired else "ok"

    def _graphql(self, headers: dict[str, str], body: bytes) -> _Reply:
        """One GraphQL request, counted in `in_flight` and `max_in_flight` while it runs."""
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            hold = self.hold
            if hold is not None:
                hold.wait(30)
            return self._graphql_once(headers, body)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _graphql_once(self, headers: dict[str, str], body: bytes) -> _Reply:
        arrived = time.monotonic()
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        try:
            payload: Any = json.loads(body)
        except ValueError:
            payload = None
        request = _parse_request(payload)

        billed = 0
        if fault is None:
            reply, billed = self._answer(headers, request)
        elif fault.kind == "timeout":
            reply, billed = self._answer(headers, request, bill=bool(fault.options.get("bill")))
            reply = replace(reply, delay=float(fault.options.get("seconds", 10)))
        else:
            reply = self._fault_reply(fault)

        query, variables, operation_name = request if isinstance(request, tuple) else ("", None, None)
        record = GraphQLRequest(
            query=query,
            variables=variables or {},
            operation_name=operation_name,
            headers=headers,
            status=0 if reply.disconnect else reply.status,
            matched_parts=billed,
            at=arrived,
        )
        with self._lock:
            self.requests.append(record)
        # The answer is computed inside the latency window, as a real server's would be, so
        # the fake's own CPU time does not add to the latency a client sees.
        left = self.latency - (time.monotonic() - arrived)
        if left > 0:
            self._stopping.wait(left)
        return reply

    def _fault_reply(self, fault: _Fault) -> _Reply:
        retry_after = fault.options.get("retry_after")
        if fault.kind == "500":
            return _json_reply(500, _errors("Internal server error"))
        if fault.kind == "502":
            return _html_reply(502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
        if fault.kind == "503":
            extra = () if retry_after is None else (("Retry-After", str(retry_after)),)
            return _html_reply(503, "<html><body><h1>503 Service Unavailable</h1></body></html>", extra)
        if fault.kind == "429":
            wait = str(1 if retry_after is None else retry_after)
            return _json_reply(429, _errors("Too many requests"), (("Retry-After", wait),))
        if fault.kind == "garbage":
            return _html_reply(200, "<html>oops</html>")
        if fault.kind == "graphql_error":
            message = str(fault.options.get("message") or "Something went wrong")
            return _json_reply(200, {"data": None, "errors": [{"message": message}]})
        if fault.kind == "expired":
            return _json_reply(200, _EXPIRED)
        if fault.kind == "part_limit":
            return _PART_LIMIT_REPLY
        if fault.kind == "disconnect":
            return _Reply(0, disconnect=True)
        if fault.kind == "unauthorized":
            return _UNAUTHORIZED_REPLY
        if fault.kind == "reply":
            reply: _Reply = fault.options["reply"]
            return reply
        raise AssertionError(f"unhandled fault {fault.kind}")

    def _answer(self, headers: dict[str, str], request: _Request | str, bill: bool = True) -> tuple[_Reply, int]:
        """Authenticate, validate and execute one GraphQL request; bill its parts."""
        state = self._token_state(headers.get("authorization", ""))
        if state == "invalid":
            return _json_reply(401, _NOT_AUTHENTICATED, (("WWW-Authenticate", "Bearer"),)), 0
        if state == "expired":
            return _json_reply(200, _EXPIRED), 0
        if isinstance(request, str):
            return _json_reply(400, _errors(request)), 0
        query, variables, operation_name = request

        document, errors = _checked_document(query)
        if document is None:
            return _json_reply(200, {"errors": errors}), 0

        with self._lock:
            context = _Context(parts=list(self.parts), failing_mpns=self._failing(), similar=self.similar)
        result = execute_sync(
            SUPPLY_SCHEMA,
            document,
            variable_values=variables,
            operation_name=operation_name,
            context_value=context,
        )
        billed = context.billed if bill and not result.errors else 0
        with self._lock:
            if self.part_limit is not None and self.matched_parts_billed + billed > self.part_limit:
                return _PART_LIMIT_REPLY, 0
            self.matched_parts_billed += billed
        return _json_reply(200, result.formatted), billed

    def _failing(self) -> frozenset[str]:
        return frozenset(normalize_mpn(mpn) for mpn in self.failing_mpns)
