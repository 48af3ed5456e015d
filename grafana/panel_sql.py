"""The SQL of every board panel, as Grafana sends it to the ClickHouse plugin.

Variables are interpolated by Grafana before the plugin expands its macros:
- `${dia:sqlstring}`: the day reviewed as "today" (YYYY-MM-DD; empty = today in Lima);
- `${oficina:singlequote}`, `${canal:singlequote}`, `${eps:singlequote}`: catalog codes, or the
  "All" value `'__all__'` (custom all value, so "All" also keeps rows without an EPS);
- `${anio:sqlstring}`: the year of the evolution board.
Every variable goes through a quoting format, so a crafted URL value stays a string literal.
Time-range macros (`$__timeFilter`, `$__fromTime`, `$__toTime`, `$__timeInterval`) are the
plugin's; a Lima day is taken with toDate(…, 'America/Lima'), never with `$__dateFilter`, which
formats the UTC instant and so would start a Lima day at 19:00 of the day before.
"""

from __future__ import annotations

from clickhouse import figures
from clickhouse.figures import Binding

ALL = "'__all__'"
LIMA = figures.LIMA
TODAY = f"coalesce(toDateOrNull(${{dia:sqlstring}}), toDate(now(), {LIMA}))"
YEAR = "toUInt16OrZero(${anio:sqlstring})"


def selected(column: str, variable: str) -> str:
    values = f"${{{variable}:singlequote}}"
    return f"({ALL} IN ({values}) OR {column} IN ({values}))"


# The figure catalog's free parts, filled with the boards' variables.
BOARD = Binding(
    today=TODAY,
    year=YEAR,
    office=lambda column: selected(column, "oficina"),
    channel=lambda column: selected(column, "canal"),
    provider=lambda column: selected(column, "eps"),
)
OFFICE = BOARD.office("office")
CHANNEL = BOARD.channel("channel")
FILTERS = BOARD.filters()

# -- Figures the daily report shows too: clickhouse/figures.py ----------------------------------

DAY_TOTAL = figures.DAY_TOTAL.sql(BOARD)
SAME_DAY_LAST_YEAR = figures.SAME_DAY_LAST_YEAR.sql(BOARD)
YEAR_OVER_YEAR = figures.YEAR_OVER_YEAR.sql(BOARD)
BY_CHANNEL = figures.BY_CHANNEL.sql(BOARD)
BY_OFFICE = figures.BY_OFFICE.sql(BOARD)
BY_CASE_TYPE = figures.BY_CASE_TYPE.sql(BOARD)
TOP_OPERATIONAL = figures.TOP_OPERATIONAL_SUBTYPES.sql(BOARD)
TOP_COMMERCIAL = figures.COMMERCIAL_SUBTYPES.sql(BOARD)
EPS_TABLE = figures.EPS_BY_CASE_TYPE.sql(BOARD)
SEDAPAL_DISTRICTS = figures.SEDAPAL_DISTRICTS.sql(BOARD)
OUTSIDE_EPS = figures.OUTSIDE_EPS.sql(BOARD)
MONTHLY_LIMA_REGIONS = figures.MONTHLY_LIMA_REGIONS.sql(BOARD)
MONTHLY_CASE_TYPES = figures.MONTHLY_CASE_TYPES.sql(BOARD)
MONTHLY_MODALITY = figures.MONTHLY_MODALITY.sql(BOARD)
ANNUAL_CASE_TYPES = figures.ANNUAL_CASE_TYPES.sql(BOARD)
ANNUAL_MODALITY = figures.ANNUAL_MODALITY.sql(BOARD)
CASES_OF_THE_DAY = figures.CASES_OF_THE_DAY.sql(BOARD)
ALERTS = figures.ALERTS.sql(BOARD)

# -- Figures only the boards show ---------------------------------------------------------------

LAST_HOUR_BY_CHANNEL = f"""
SELECT k.name AS "Canal", sum(h.attentions) AS "Última hora"
FROM atenciones.catalog_channels AS k
LEFT JOIN (
    SELECT channel, attentions FROM atenciones.last_hour WHERE {OFFICE} AND {CHANNEL}
) AS h ON h.channel = k.code
GROUP BY k.name, k.position
ORDER BY k.position
"""

ATTENTIONS_OVER_TIME = f"""
SELECT $__timeInterval(occurred_at) AS time, channel, count() AS attentions
FROM atenciones.attentions
WHERE $__timeFilter(occurred_at) AND {FILTERS}
GROUP BY time, channel
ORDER BY time
"""

OUTCOME_NAMES = (
    "multiIf(outcome = 'new', 'Nuevas', outcome = 'duplicate', 'Duplicados (ignorados)', "
    "outcome = 'replace', 'Correcciones', outcome = 'void', 'Anulaciones', "
    "'Revisiones antiguas (ignoradas)')"
)
DATA_QUALITY = f"""
SELECT 'Rechazados (cola de errores)' AS "Tipo", reason AS "Detalle", count() AS "Eventos"
FROM atenciones.dead_letters
WHERE day = {TODAY}
GROUP BY reason
UNION ALL
SELECT 'Revisiones' AS "Tipo", {OUTCOME_NAMES} AS "Detalle", sum(events) AS "Eventos"
FROM atenciones.revision_outcomes
WHERE day = {TODAY}
GROUP BY outcome
ORDER BY "Tipo", "Eventos" DESC
"""

MONTHLY_OVER_RANGE = f"""
SELECT toDateTime(toStartOfMonth(d.day), {LIMA}) AS time,
       if(k.area = 'lima', 'Lima', 'Regiones') AS area, sum(d.attentions) AS attentions
FROM atenciones.daily_counts AS d
JOIN atenciones.catalog_offices AS k ON k.code = d.office
WHERE d.day BETWEEN toDate($__fromTime, {LIMA}) AND toDate($__toTime, {LIMA})
GROUP BY time, area
ORDER BY time
"""

# -- Casos de mayor relevancia ------------------------------------------------------------------

_CASE_COLUMNS = f"""
    c.case_id AS "Caso", o.name AS "Oficina",
    concat(if(r.name = '', c.region, r.name), ' / ', c.province, ' / ', c.district)
        AS "Región / Provincia / Distrito",
    c.summary AS "Resumen", c.action AS "Última acción", c.status AS "Estado",
    formatDateTime(c.updated_at, '%Y-%m-%d %H:%i', {LIMA}) AS "Actualizado (Lima)"
"""
_CASE_JOINS = """
LEFT JOIN atenciones.catalog_offices AS o ON o.code = c.office
LEFT JOIN atenciones.catalog_regions AS r ON r.code = c.region
"""

OPEN_CASES_COUNT = f"""
SELECT count() AS "Casos abiertos" FROM atenciones.relevant_cases
WHERE status = 'PENDIENTE' AND {selected("office", "oficina")}
"""

OPEN_CASES = f"""
SELECT {_CASE_COLUMNS}, c.updates AS "Actualizaciones"
FROM atenciones.relevant_cases AS c
{_CASE_JOINS}
WHERE c.status = 'PENDIENTE' AND {selected("c.office", "oficina")}
ORDER BY c.updated_at DESC
"""

FINALIZED_CASES = f"""
SELECT {_CASE_COLUMNS}
FROM atenciones.relevant_cases AS c
{_CASE_JOINS}
WHERE c.status = 'FINALIZADO' AND $__timeFilter(c.updated_at) AND {selected("c.office", "oficina")}
ORDER BY c.updated_at DESC
"""
