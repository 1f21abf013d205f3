"""Nexar GraphQL client: the only module (with its documents in `nexar_queries`) that
knows GraphQL and Nexar's JSON shapes.

User text travels in GraphQL variables only; every query passes an explicit `limit`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import httpx
import jwt

from bot.adapters.nexar_queries import ALTERNATES, MULTI_MATCH, PARTS_BY_IDS, SEARCH_BATCH, SEARCH_MPN, SUGGEST
from bot.adapters.part_json import parse_part
from bot.domain.models import LookupKey, Part, SearchResult
from bot.ports import MAX_MULTI_QUERIES, PartLimitExceeded, PossiblyBilled, QueryRejected, SourceError, SourceUnavailable

log = logging.getLogger(__name__)

RENEW_BEFORE = 300.0
_PART_LIMIT_TEXT = "exceeded your part limit"
_TOKEN_CODES = ("AuthExpiredToken", "AuthInvalidToken")
"""GraphQL error codes that a freshly issued token may cure: renew once and retry."""


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


def _match_query(key: LookupKey, limit: int, reference: str) -> dict[str, Any]:
    """A `SupPartMatchQuery`; Nexar matches `manufacturer` against the company's name and aliases."""
    query: dict[str, Any] = {"sku" if key.by == "sku" else "mpn": key.mpn, "limit": limit, "reference": reference}
    if key.mfr is not None:
        query["manufacturer"] = key.mfr
    return query


def _check_batch(keys: Sequence[LookupKey]) -> None:
    if len(keys) > MAX_MULTI_QUERIES:
        raise ValueError(f"at most {MAX_MULTI_QUERIES} queries per request")
    if len({(k.currency, k.country, k.all_sellers) for k in keys}) != 1:
        raise ValueError("one request shares currency, country and seller filter")
    if any(k.by == "id" for k in keys):
        raise ValueError("a part id is looked up with supParts, not matched")


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
                ),
                billable=False,
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
    def _send(self, call: Callable[[], httpx.Response], *, billable: bool) -> httpx.Response:
        """Run `call` with bounded retries for connect errors, timeouts, 429 and 5xx.

        Kept hand-written rather than tenacity: the rules need state across attempts (a
        read timeout of a `billable` call allows one more attempt only, and then fails as
        `PossiblyBilled`) and the wait comes from the last response's Retry-After, so
        tenacity's stop/wait callables would carry the same logic in more pieces."""
        last, attempts, read_timeout = "", self.attempts, False
        attempt = 0
        while attempt < attempts:
            delay = self.backoff * (2**attempt) * (0.5 + random.random() / 2)
            try:
                resp = call()
            except httpx.TransportError as exc:
                last = type(exc).__name__
                if billable and isinstance(exc, httpx.ReadTimeout):
                    read_timeout, attempts = True, min(attempts, attempt + 2)
                log.warning("Nexar request failed (%s), attempt %d/%d", last, attempt + 1, attempts)
            else:
                if resp.status_code == 500 and _PART_LIMIT_TEXT in resp.text:
                    log.error("Nexar part limit reached: %s", resp.text[:300])
                    raise PartLimitExceeded(resp.text[:300])
                if resp.status_code != 429 and resp.status_code < 500:
                    return resp
                last = f"HTTP {resp.status_code}"
                retry_after = resp.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    delay = min(float(retry_after), self.max_retry_after)
                log.warning("Nexar answered %s, attempt %d/%d", last, attempt + 1, attempts)
            attempt += 1
            if attempt < attempts:
                self._sleep(delay)
        if read_timeout:
            raise PossiblyBilled(f"no answer from Nexar after {attempt} attempts ({last}, after a read timeout)")
        raise SourceUnavailable(f"Nexar unavailable after {attempt} attempts ({last})")

    def execute(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """POST one GraphQL document; renew the token once if Nexar rejects it."""
        token = self._fresh_token()
        try:
            return self._post(query, variables, token)
        except _Expired:
            log.info("Nexar rejected the token; renewing it once")
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
            ),
            billable=True,
        )
        if resp.status_code == 401:  # whatever the body: JSON errors, HTML or nothing at all
            self._reject(token)
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            log.error("Nexar answered HTTP %s with a body that is not GraphQL JSON: %r", resp.status_code, resp.text[:200])
            raise SourceUnavailable(f"unreadable Nexar response (HTTP {resp.status_code})")
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        if errors:
            codes = {str((e.get("extensions") or {}).get("code", "")) for e in errors}
            messages = "; ".join(str(e.get("message", e)) for e in errors)
            if codes & set(_TOKEN_CODES) or "AuthExpiredToken" in messages:
                self._reject(token)
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

    def _reject(self, token: str) -> NoReturn:
        """Nexar refused `token`: forget it (unless already renewed) and say so."""
        with self._token_lock:
            if self._token == token:
                self._token_exp = 0.0
        raise _Expired()

    # PartSource ---------------------------------------------------------------
    def search_mpn(self, key: LookupKey, limit: int) -> SearchResult:
        """The best match for `key.mpn` (`supSearchMpn`); with a manufacturer or by a seller's
        SKU, `supMultiMatch`, the one query that can filter on either; by an Octopart id, `supParts`."""
        if key.by == "id":
            return self.part_by_id(key)
        if key.mfr is not None or key.by == "sku":
            result = self.multi_match([key], limit)[0]
            if isinstance(result, SourceError):
                raise result
            return result
        data = self.execute(SEARCH_MPN, {"q": key.mpn, "limit": limit, **seller_variables(key)})
        return _search_result(data.get("supSearchMpn") or {})

    def search_many(self, keys: Sequence[LookupKey], limit: int) -> list[SearchResult | SourceError]:
        """Several `search_mpn`s in one request (aliased `supSearchMpn` fields), same answers.

        A search that fails alone (a partial GraphQL error) fails only its own key. Keys
        with a manufacturer belong in `multi_match`."""
        _check_batch(keys)
        if any(k.mfr is not None or k.by != "mpn" for k in keys):
            raise ValueError("supSearchMpn reads MPNs only, with no manufacturer; use multi_match")
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
        """One `supMultiMatch` for ≤ 20 keys sharing currency/country/sellers; each query
        names its key's manufacturer, if any."""
        if not keys:
            return []
        _check_batch(keys)
        queries = [_match_query(k, limit, str(i)) for i, k in enumerate(keys)]
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

    def part_by_id(self, key: LookupKey) -> SearchResult:
        """The Octopart part whose id is `key.mpn` (`supParts`, at most one part billed)."""
        data = self.execute(PARTS_BY_IDS, {"ids": [key.mpn], **seller_variables(key)})
        found = [p for p in data.get("supParts") or [] if isinstance(p, dict)]
        return SearchResult(part=parse_part(found[0]) if found else None, hits=len(found))

    def similar(self, key: LookupKey) -> tuple[SearchResult, tuple[Part, ...]]:
        """The best match for `key` and every part Nexar lists as similar to it (all billed)."""
        data = self.execute(ALTERNATES, {"queries": [_match_query(key, 1, "0")], **seller_variables(key)})
        matches = [m for m in data.get("supMultiMatch") or [] if isinstance(m, dict)]
        if not matches:
            raise SourceError("no answer for the alternates query", "Nexar did not answer for this part.")
        if matches[0].get("error"):
            raise QueryRejected(str(matches[0]["error"]), "Nexar could not look up this part.")
        parts = matches[0].get("parts") or []
        if not parts:
            return SearchResult(None, int(matches[0].get("hits") or 0)), ()
        similar = tuple(parse_part(p) for p in parts[0].get("similarParts") or [])
        return SearchResult(parse_part(parts[0]), int(matches[0].get("hits") or 0)), similar

    def suggest(self, text: str) -> tuple[str, ...]:
        try:
            data = self.execute(SUGGEST, {"q": text})
        except SourceError:
            return ()
        return tuple(s["text"] for s in data.get("supSuggest") or () if s.get("text"))[:5]

    def close(self) -> None:
        self._http.close()
