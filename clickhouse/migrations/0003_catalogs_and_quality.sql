-- The catalogs (schemas/catalogs/*.csv) as tables, so Grafana variables and analysts can read
-- names; `atenciones migrate` keeps them equal to the CSVs (clickhouse/catalog_tables.py).
-- And the data-quality figures: dead letters by reason, duplicates and corrections by day.

CREATE TABLE IF NOT EXISTS atenciones.catalog_offices
(code String, name String, region String, area String, position UInt16)
ENGINE = MergeTree ORDER BY code;

CREATE TABLE IF NOT EXISTS atenciones.catalog_channels
(code String, name String, table_name String, modality String, position UInt16,
 table_order UInt16)
ENGINE = MergeTree ORDER BY code;

CREATE TABLE IF NOT EXISTS atenciones.catalog_case_types
(code String, name String, table_name String, eps_name String, annual_name String,
 position UInt16, table_order UInt16, requires_subtype String)
ENGINE = MergeTree ORDER BY code;

CREATE TABLE IF NOT EXISTS atenciones.catalog_case_subtypes
(code String, case_type String, name String, in_seed String, position UInt16)
ENGINE = MergeTree ORDER BY code;

CREATE TABLE IF NOT EXISTS atenciones.catalog_provider_scopes
(code String, name String, position UInt16)
ENGINE = MergeTree ORDER BY code;

CREATE TABLE IF NOT EXISTS atenciones.catalog_providers
(code String, number String, name String, region String, position UInt16)
ENGINE = MergeTree ORDER BY (code, region);

CREATE TABLE IF NOT EXISTS atenciones.catalog_districts
(code String, name String, province String,
 position Nullable(UInt16) COMMENT 'row in the Sedapal table, NULL = counted under Otros')
ENGINE = MergeTree ORDER BY code;

CREATE TABLE IF NOT EXISTS atenciones.catalog_regions
(code String, name String, ubigeo String, position UInt16)
ENGINE = MergeTree ORDER BY code;

-- One row per dead-lettered record, keyed by its origin: a dead letter written twice (the DLQ
-- topic is at-least-once after a crash) is one row here. No payload: it may hold personal data.
CREATE TABLE IF NOT EXISTS atenciones.dead_letter_records
(
    topic LowCardinality(String),
    partition UInt16,
    offset UInt64,
    received_at DateTime64(3, 'UTC') COMMENT 'the Kafka record timestamp',
    day Date COMMENT 'the day of received_at in America/Lima',
    reason LowCardinality(String)
)
ENGINE = ReplacingMergeTree
ORDER BY (topic, partition, offset);

-- What the revision rules did with valid records, by Lima day of arrival (Kafka record
-- timestamp): absolute per source partition, versioned by source offset, like daily_count_parts.
CREATE TABLE IF NOT EXISTS atenciones.quality_count_parts
(
    day Date,
    outcome LowCardinality(String) COMMENT 'new, duplicate, replace, void, stale',
    source_partition UInt16,
    partition_count Int64,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (day, outcome, source_partition);

CREATE OR REPLACE VIEW atenciones.dead_letters AS
SELECT topic, partition, offset, received_at, day, reason
FROM atenciones.dead_letter_records FINAL;

CREATE OR REPLACE VIEW atenciones.revision_outcomes AS
SELECT day, outcome, toUInt64(sum(partition_count)) AS events
FROM atenciones.quality_count_parts FINAL
GROUP BY day, outcome
HAVING events > 0;
