"""The classification an attention is counted under: eight fields, said once, in the order of
the ClickHouse columns (`attentions`, `daily_counts`). Decoding builds it
(schemas.attention.classification_of_fields), the worker's state keys and the sink's rows
carry it as a plain tuple in this order (a tuple is the cheapest object on the hot path, and
orjson writes it as a JSON array), the queries select these columns;
tests/integration/test_clickhouse_schema.py checks the migrations against it."""

from __future__ import annotations

from typing import Final

CLASSIFICATION_FIELDS: Final = (
    "office",
    "channel",
    "case_type",
    "case_subtype",  # '' when not given
    "provider_scope",
    "provider",  # '' outside the utilities
    "provider_region",  # the utility's region ('' outside the utilities)
    "district",  # INEI ubigeo ('' when not given)
)
# A classification value: one string per field above, in that order.
Classification = tuple[str, str, str, str, str, str, str, str]

OFFICE: Final = CLASSIFICATION_FIELDS.index("office")
CHANNEL: Final = CLASSIFICATION_FIELDS.index("channel")
CASE_SUBTYPE: Final = CLASSIFICATION_FIELDS.index("case_subtype")
PROVIDER_SCOPE: Final = CLASSIFICATION_FIELDS.index("provider_scope")
PROVIDER: Final = CLASSIFICATION_FIELDS.index("provider")
DISTRICT: Final = CLASSIFICATION_FIELDS.index("district")
