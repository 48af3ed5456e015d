-- The live "last hour" counts attentions that happened in the last hour, not ones a channel
-- system dated ahead of now (the contract accepts up to 24 h ahead for clock skew).
CREATE OR REPLACE VIEW atenciones.last_hour AS
SELECT channel, office, toUInt64(sum(partition_count)) AS attentions
FROM atenciones.five_minute_buckets FINAL
WHERE bucket_start >= toStartOfFiveMinutes(now()) - INTERVAL 55 MINUTE
  AND bucket_start <= now()
GROUP BY channel, office
HAVING attentions > 0;
