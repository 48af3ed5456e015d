-- Relevant cases: every update (revision) of every case, and the current state as a view.

-- One row per accepted update. Re-inserting an update (replay, crash recovery) changes nothing:
-- ReplacingMergeTree keeps one row per (case_id, revision).
CREATE TABLE IF NOT EXISTS atenciones.relevant_case_updates
(
    case_id String,
    revision UInt64,
    reported_at DateTime64(3, 'UTC'),
    day Date COMMENT 'the day of reported_at in America/Lima',
    office LowCardinality(String),
    region LowCardinality(String),
    province String,
    district String,
    ubigeo String,
    summary String,
    source String,
    action String,
    status LowCardinality(String),
    affected_users Nullable(UInt32),
    provider LowCardinality(String)
)
ENGINE = ReplacingMergeTree
ORDER BY (case_id, revision);

-- The current state of each case: its latest update, when it was opened, how many updates.
CREATE OR REPLACE VIEW atenciones.relevant_cases AS
SELECT
    case_id,
    max(revision) AS latest_revision,
    min(reported_at) AS opened_at,
    max(reported_at) AS updated_at,
    argMax(day, revision) AS updated_day,
    argMax(office, revision) AS office,
    argMax(region, revision) AS region,
    argMax(province, revision) AS province,
    argMax(district, revision) AS district,
    argMax(ubigeo, revision) AS ubigeo,
    argMax(summary, revision) AS summary,
    argMax(source, revision) AS source,
    argMax(action, revision) AS action,
    argMax(status, revision) AS status,
    argMax(affected_users, revision) AS affected_users,
    argMax(provider, revision) AS provider,
    count() AS updates
FROM atenciones.relevant_case_updates FINAL
GROUP BY case_id;
