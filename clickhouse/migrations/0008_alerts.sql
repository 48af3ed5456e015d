-- Incident alerts (incidents/README.md): one row per version of an alert; ClickHouse keeps the
-- highest version of each alert_id, so a replay or a restart that writes an alert again
-- changes nothing. Read with FINAL (or argMax by version).
CREATE TABLE IF NOT EXISTS atenciones.alerts
(
    alert_id String,
    provider LowCardinality(String),  -- the utility, or outside them the provider scope
    place String,  -- INEI ubigeo of the district, or ods:<office> where none is known
    status LowCardinality(String),  -- open | closed
    day Date,  -- Lima day the alert opened
    window_start DateTime64(3, 'UTC'),  -- start of the first improbable window
    opened_at DateTime64(3, 'UTC'),  -- its end: when the detector could say it
    updated_at DateTime64(3, 'UTC'),
    closed_at Nullable(DateTime64(3, 'UTC')),
    peak_count UInt32,  -- the largest improbable window's count
    peak_minutes UInt16,  -- its length
    peak_expected Float64,  -- what the key's baseline expected in it
    attentions UInt32,  -- service-failure attentions of the key since the window start
    subtypes Map(String, UInt32),
    channels Map(String, UInt32),
    version UInt32
)
ENGINE = ReplacingMergeTree(version)
ORDER BY alert_id;
