"""The GraphQL documents partbot sends to Nexar, and nothing else.

Each is fixed text: user input travels only in variables, and every search passes an
explicit `limit` (Nexar bills per matched part and defaults to 10 per search, 3 per
multi-match query). Tests validate every document against Nexar's published schema.
"""

from __future__ import annotations

from bot.ports import MAX_MULTI_QUERIES

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
      sku inventoryLevel moq orderMultiple packaging clickUrl updated
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


ALTERNATES = (
    """
query PartAlternates($queries: [SupPartMatchQuery!]!, $currency: String!, $country: String!,
                     $authorizedOnly: Boolean!, $includeBrokers: Boolean!) {
  supMultiMatch(queries: $queries, currency: $currency, country: $country) {
    reference
    hits
    error
    parts { ...PartFields similarParts { ...PartFields } }
  }
}
"""
    + PART_FIELDS
)
"""The matched part (`limit: 1`) and Nexar's similar parts. `similarParts` takes no limit:
every part it returns is billed, so the cost is known only from the answer."""


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

PARTS_BY_IDS = (
    """
query PartsByIds($ids: [String!]!, $currency: String!, $country: String!,
                 $authorizedOnly: Boolean!, $includeBrokers: Boolean!) {
  supParts(ids: $ids, currency: $currency, country: $country) { ...PartFields }
}
"""
    + PART_FIELDS
)
"""Octopart part pages, by the id that ends their URL. `supParts` takes no `limit`: it returns
at most one part per id, so the ids sent bound what it bills."""

SUGGEST = """
query PartSuggest($q: String!) {
  supSuggest(q: $q, partNumbersOnly: true) { text }
}
"""

QUERIES = {
    "PartSearch": SEARCH_MPN,
    "PartMultiMatch": MULTI_MATCH,
    "PartSuggest": SUGGEST,
    "PartsByIds": PARTS_BY_IDS,
    "PartAlternates": ALTERNATES,
    **{f"PartSearchBatch{n}": doc for n, doc in SEARCH_BATCH.items()},
}
"""Every document the bot can send (tests validate them against Nexar's schema)."""
