-- The daily report's deliveries: one row per step of each attempt (reports/delivery.py).
-- An attempt first inserts 'claimed'; among the live claims of a (day, kind, recipients) the
-- earliest (recorded_at, attempt_id) sends, the others stand down. It ends with 'sent',
-- 'archived' (no recipients), 'failed' (retried with backoff) or 'skipped' (no data yet).
-- 'corrected' rows record a sent day's new total, announced in a later report.
CREATE TABLE IF NOT EXISTS atenciones.report_deliveries
(
    day Date COMMENT 'the report day (America/Lima)',
    kind LowCardinality(String) COMMENT 'diario: the whole day, corte: the day so far',
    recipients String COMMENT 'sorted, comma-separated (empty: archive only)',
    attempt_id String,
    status LowCardinality(String),
    attempt UInt16 COMMENT '1 for the first attempt of a delivery, then 2, 3…',
    forced Bool,
    message_id String,
    day_total UInt64 COMMENT 'attentions of the day in the report sent',
    version UInt16 COMMENT 'the version of the day''s report in the archive',
    error String,
    recorded_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = MergeTree
ORDER BY (day, kind, recipients, recorded_at);

-- The last word on each delivery.
CREATE OR REPLACE VIEW atenciones.report_delivery_status AS
SELECT
    r.day AS day, r.kind AS kind, r.recipients AS recipients,
    argMax(r.status, r.recorded_at) AS last_status,
    argMax(r.message_id, r.recorded_at) AS last_message_id,
    argMax(r.day_total, r.recorded_at) AS last_day_total,
    argMax(r.error, r.recorded_at) AS last_error,
    countIf(r.status = 'failed') AS failures,
    max(r.recorded_at) AS last_change
FROM atenciones.report_deliveries AS r
WHERE r.status NOT IN ('claimed', 'yielded')
GROUP BY r.day, r.kind, r.recipients;
