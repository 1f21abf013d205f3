"""Nexar GraphQL client: the only module that knows GraphQL and Nexar's JSON shapes.

User text travels in GraphQL variables only; every query passes an explicit `limit`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import jwt

from bot.adapters.part_json import parse_part
from bot.domain.models import LookupKey, SearchResult
from bot.ports import MAX_MULTI_QUERIES, PartLimitExceeded, QueryRejected, SourceError, SourceUnavailable

log = logging.getLogger(__name__)

PART_FIELDS = """
fragment PartFields on SupPart {
  mpn
  manufacturer { name }
  shortDescription
  octopartUrl
  totalAvail
  bestImage { url }
  bestDatasheet { url }
  specs { attribute { shortname name } displayValue }
  sellers(authorizedOnly: $authorizedOnly, includeBrokers: $includeBrokers) {
    company { name homepageUrl }
    isAuthorized
    isBroker
    offers {
      sku inventoryLevel moq packaging clickUrl updated
      prices { quantity price currency convertedPrice convertedCurrency conversionRate }
    }
  }
}
"""

SEARCH_MPN = (
    """
query PartSearch($q: String!, $limit: Int!, $currency: String!, $country: String!,
                 $authorizedOnly: Boolean!, $includeBrokers: Boolean!) {
  supSearchMpn(q: $q, limit: $limit, currency: $currency, country: $country) {
    hits
    results { part { ...PartFields } }
  }
}
"""
    + PART_FIELDS
)

MULTI_MATCH = (
    """
query PartMultiMatch($queries: [SupPartMatchQuery!]!, $currency: String!, $country: String!,
                     $authorizedOnly: Boolean!, $includeBrokers: Boolean!) {
  supMultiMatch(queries: $queries, currency: $currency, country: $country) {
    reference
    hits
    error
    parts { ...PartFields }
  }
}
"""
    + PART_FIELDS
)


def _search_batch(n: int) -> str:
    """`n` PartSearch searches in one document, aliased s0…s{n-1}, each exactly as PartSearch asks."""
    names = ", ".join(f"$q{i}: String!" for i in range(n))
    fields = "".join(
        f"  s{i}: supSearchMpn(q: $q{i}, limit: $limit, currency: $currency, country: $country) {{\n"
        "    hits\n    results { part { ...PartFields } }\n  }\n"
        for i in range(n)
    )
    return (
        f"query PartSearchBatch{n}({names}, $limit: Int!, $currency: String!, $country: String!,\n"
        "                 $authorizedOnly: Boolean!, $includeBrokers: Boolean!) {\n" + fields + "}\n" + PART_FIELDS
    )


SEARCH_BATCH = {n: _search_batch(n) for n in range(2, MAX_MULTI_QUERIES + 1)}

SUGGEST = """
query PartSuggest($q: String!) {
  supSuggest(q: $q, partNumbersOnly: true) { text }
}
"""

QUERIES = {
    "PartSearch": SEARCH_MPN,
    "PartMultiMatch": MULTI_MATCH,
    "PartSuggest": SUGGEST,
    **{f"PartSearchBatch{n}": doc for n, doc in SEARCH_BATCH.items()},
}
"""Every document the bot can send (tests validate them against Nexar's schema)."""

RENEW_BEFORE = 300.0
_PART_LIMIT_TEXT = "exceeded your part limit"
_EXPIRED_CODES = ("AuthExpiredToken",)


def seller_variables(key: LookupKey) -> dict[str, Any]:
    return {
        "currency": key.currency,
        "country": key.country,
        "authorizedOnly": not key.all_sellers,
        "includeBrokers": key.all_sellers,
    }


def _search_result(result_set: dict[str, Any]) -> SearchResult:
    results = result_set.get("results") or []
    part = parse_part(results[0]["part"]) if results else None
    return SearchResult(part=part, hits=int(result_set.get("hits") or 0))


def _check_batch(keys: Sequence[LookupKey]) -> None:
    if len(keys) > MAX_MULTI_QUERIES:
        raise ValueError(f"at most {MAX_MULTI_QUERIES} queries per request")
    if len({(k.currency, k.country, k.all_sellers) for k in keys}) != 1:
        raise ValueError("one request shares currency, country and seller filter")


# --- client ---------------------------------------------------------------------------


class _Expired(Exception):
    pass


class NexarClient:
    """Talks to Nexar over one pooled `httpx.Client`; safe to share between threads."""

    billed = True
    is_sample = False

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        token_url: str,
        api_url: str,
        timeout: float = 10.0,
        attempts: int = 3,
        backoff: float = 0.5,
        max_retry_after: float = 10.0,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._id, self._secret = client_id, client_secret
        self.token_url, self.api_url = token_url, api_url
        self.attempts, self.backoff, self.max_retry_after = attempts, backoff, max_retry_after
        self._http = http or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=5.0),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
            headers={"User-Agent": "partbot/1.0"},
        )
        self._sleep, self._clock = sleep, clock
        self._token: str | None = None
        self._token_exp = 0.0
        self._token_lock = threading.Lock()

    # token --------------------------------------------------------------------
    def _fresh_token(self, stale: str | None = None) -> str:
        """The cached token, renewed ~5 min before `exp`, or when `stale` was rejected."""
        with self._token_lock:
            token = self._token
            if token and token != stale and self._clock() < self._token_exp - RENEW_BEFORE:
                return token
            resp = self._send(
                lambda: self._http.post(
                    self.token_url,
                    data={"grant_type": "client_credentials", "client_id": self._id, "client_secret": self._secret},
                )
            )
            if resp.status_code in (400, 401):
                log.error("Nexar refused the client credentials (HTTP %s)", resp.status_code)
                raise SourceError(
                    f"token endpoint answered {resp.status_code}",
                    "partbot's Nexar credentials were refused. An admin needs to check NEXAR_CLIENT_ID and NEXAR_CLIENT_SECRET.",
                )
            try:
                token = str(resp.json()["access_token"])
                claims = jwt.decode(token, options={"verify_signature": False})
                exp = float(claims.get("exp") or self._clock() + float(resp.json().get("expires_in", 3600)))
            except (ValueError, KeyError, jwt.PyJWTError) as exc:
                raise SourceUnavailable(f"unreadable token response: {exc}") from exc
            self._token, self._token_exp = token, exp
            return token

    # transport ----------------------------------------------------------------
    def _send(self, call: Callable[[], httpx.Response]) -> httpx.Response:
        """Run `call` with bounded retries for connect errors, timeouts, 429 and 5xx."""
        last = ""
        for attempt in range(self.attempts):
            delay = self.backoff * (2**attempt) * (0.5 + random.random() / 2)
            try:
                resp = call()
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}"
                log.warning("Nexar request failed (%s), attempt %d/%d", last, attempt + 1, self.attempts)
            else:
                if resp.status_code == 500 and _PART_LIMIT_TEXT in resp.text:
                    log.error("Nexar part limit reached: %s", resp.text[:300])
                    raise PartLimitExceeded(resp.text[:300])
                if resp.status_code == 429 or resp.status_code >= 500:
                    last = f"HTTP {resp.status_code}"
                    retry_after = resp.headers.get("Retry-After", "")
                    if retry_after.isdigit():
                        delay = min(float(retry_after), self.max_retry_after)
                    log.warning("Nexar answered %s, attempt %d/%d", last, attempt + 1, self.attempts)
                else:
                    return resp
            if attempt + 1 < self.attempts:
                self._sleep(delay)
        raise SourceUnavailable(f"Nexar unavailable after {self.attempts} attempts ({last})")

    def execute(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """POST one GraphQL document; renew the token once if Nexar says it expired."""
        token = self._fresh_token()
        try:
            return self._post(query, variables, token)
        except _Expired:
            log.info("Nexar says the token expired; renewing it once")
        try:
            return self._post(query, variables, self._fresh_token(stale=token))
        except _Expired as exc:
            log.error("Nexar rejected a freshly issued token")
            raise SourceError(
                "token rejected twice", "Nexar keeps rejecting partbot's token. An admin should check the Nexar app."
            ) from exc

    def _post(self, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
        resp = self._send(
            lambda: self._http.post(
                self.api_url,
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
        )
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            log.error("Nexar answered HTTP %s with a body that is not GraphQL JSON: %r", resp.status_code, resp.text[:200])
            raise SourceUnavailable(f"unreadable Nexar response (HTTP {resp.status_code})")
        errors = body.get("errors") or []
        if errors or resp.status_code == 401:
            codes = {str((e.get("extensions") or {}).get("code", "")) for e in errors if isinstance(e, dict)}
            messages = "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, dict))
            if codes & set(_EXPIRED_CODES) or "AuthExpiredToken" in messages or resp.status_code == 401:
                if self._token == token:
                    self._token_exp = 0.0
                raise _Expired()
            if _PART_LIMIT_TEXT in messages:
                raise PartLimitExceeded(messages[:300])
            if body.get("data") is None:
                log.error("Nexar GraphQL errors: %s", messages[:500])
                raise QueryRejected(messages[:300])
            log.warning("Nexar GraphQL partial errors: %s", messages[:500])
        if resp.status_code >= 400:
            raise SourceUnavailable(f"Nexar answered HTTP {resp.status_code}")
        data = body.get("data")
        if not isinstance(data, dict):
            raise SourceUnavailable("Nexar answered without data")
        return data

    # PartSource ---------------------------------------------------------------
    def search_mpn(self, key: LookupKey, limit: int) -> SearchResult:
        data = self.execute(SEARCH_MPN, {"q": key.mpn, "limit": limit, **seller_variables(key)})
        return _search_result(data.get("supSearchMpn") or {})

    def search_many(self, keys: Sequence[LookupKey], limit: int) -> list[SearchResult | SourceError]:
        """Several `search_mpn`s in one request (aliased `supSearchMpn` fields), same answers.

        A search that fails alone (a partial GraphQL error) fails only its own key."""
        _check_batch(keys)
        if len(keys) == 1:
            return [self.search_mpn(keys[0], limit)]
        variables: dict[str, Any] = {f"q{i}": k.mpn for i, k in enumerate(keys)}
        data = self.execute(SEARCH_BATCH[len(keys)], {**variables, "limit": limit, **seller_variables(keys[0])})
        out: list[SearchResult | SourceError] = []
        for i in range(len(keys)):
            result_set = data.get(f"s{i}")
            if isinstance(result_set, dict):
                out.append(_search_result(result_set))
            else:
                out.append(QueryRejected("no data for this search", "Nexar could not look up this part."))
        return out

    def multi_match(self, keys: Sequence[LookupKey], limit: int) -> list[SearchResult | SourceError]:
        """One `supMultiMatch` per batch of ≤ 20 keys sharing currency/country/sellers."""
        if not keys:
            return []
        _check_batch(keys)
        queries = [{"mpn": k.mpn, "limit": limit, "reference": str(i)} for i, k in enumerate(keys)]
        data = self.execute(MULTI_MATCH, {"queries": queries, **seller_variables(keys[0])})
        out: list[SearchResult | SourceError] = [
            SourceError("no answer for this query", "Nexar did not answer for this part.") for _ in keys
        ]
        for match in data.get("supMultiMatch") or []:
            ref = str(match.get("reference") or "")
            if not ref.isdigit() or int(ref) >= len(keys):
                continue
            if match.get("error"):
                log.warning("Nexar multi-match error for %r: %s", keys[int(ref)].mpn, match["error"])
                out[int(ref)] = QueryRejected(str(match["error"]), "Nexar could not look up this part.")
                continue
            parts = match.get("parts") or []
            out[int(ref)] = SearchResult(part=parse_part(parts[0]) if parts else None, hits=int(match.get("hits") or 0))
        return out

    def suggest(self, text: str) -> tuple[str, ...]:
        try:
            data = self.execute(SUGGEST, {"q": text})
        except SourceError:
            return ()
        return tuple(s["text"] for s in data.get("supSuggest") or () if s.get("text"))[:5]

    def close(self) -> None:
        self._http.close()
