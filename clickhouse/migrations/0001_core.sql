-- The pipeline's storage. Written only by the worker (user `writer`); read by analysts and Grafana
-- through the views, which are already de-duplicated: a plain SELECT … GROUP BY is correct.

CREATE DATABASE IF NOT EXISTS atenciones;

-- Every counted revision of every attention. ReplacingMergeTree keeps, per attention_id, the row
-- with the highest revision, so re-inserting a row (replay, crash recovery) changes nothing.
-- No PARTITION BY: a revision may move an attention to another day or year, and replacing only
-- works inside one partition.
CREATE TABLE IF NOT EXISTS atenciones.attention_revisions
(
    attention_id String,
    revision UInt32,
    voided Bool,
    occurred_at DateTime64(3, 'UTC'),
    day Date COMMENT 'the day of occurred_at in America/Lima',
    office LowCardinality(String),
    channel LowCardinality(String),
    case_type LowCardinality(String),
    case_subtype LowCardinality(String),
    provider_scope LowCardinality(String),
    provider LowCardinality(String),
    provider_region LowCardinality(String),
    district LowCardinality(String),
    citizen_ref String,
    source LowCardinality(String)
)
ENGINE = ReplacingMergeTree(revision)
ORDER BY attention_id;

-- The worker's Lima-day counts, one row per (classification, source partition): each partition's
-- count is absolute (not a delta) and versioned by the last source offset that changed it, so a
-- replay rewrites the same value and a newer value always wins.
CREATE TABLE IF NOT EXISTS atenciones.daily_count_parts
(
    day Date,
    office LowCardinality(String),
    channel LowCardinality(String),
    case_type LowCardinality(String),
    case_subtype LowCardinality(String),
    provider_scope LowCardinality(String),
    provider LowCardinality(String),
    provider_region LowCardinality(String),
    district LowCardinality(String),
    source_partition UInt16,
    partition_count Int64,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (day, office, channel, case_type, case_subtype, provider_scope, provider,
          provider_region, district, source_partition);

-- 5-minute buckets by channel and office (event time): the live "last hour" is the sum of the
-- twelve latest, a hopping one-hour window with a 5-minute step.
CREATE TABLE IF NOT EXISTS atenciones.five_minute_buckets
(
    bucket_start DateTime('UTC'),
    channel LowCardinality(String),
    office LowCardinality(String),
    source_partition UInt16,
    partition_count Int64,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (bucket_start, channel, office, source_partition);

CREATE OR REPLACE VIEW atenciones.attentions AS
SELECT attention_id, revision, occurred_at, day, office, channel, case_type, case_subtype,
       provider_scope, provider, provider_region, district, citizen_ref, source
FROM atenciones.attention_revisions FINAL
WHERE NOT voided;

CREATE OR REPLACE VIEW atenciones.daily_counts AS
SELECT day, office, channel, case_type, case_subtype, provider_scope, provider, provider_region,
       district, toUInt64(sum(partition_count)) AS attentions
FROM atenciones.daily_count_parts FINAL
GROUP BY day, office, channel, case_type, case_subtype, provider_scope, provider,
         provider_region, district
HAVING attentions > 0;

CREATE OR REPLACE VIEW atenciones.last_hour AS
SELECT channel, office, toUInt64(sum(partition_count)) AS attentions
FROM atenciones.five_minute_buckets FINAL
WHERE bucket_start >= toStartOfFiveMinutes(now()) - INTERVAL 55 MINUTE
GROUP BY channel, office
HAVING attentions > 0;
