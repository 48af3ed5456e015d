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

from clickhouse.queries import latest_case_updates_on
from schemas.catalogs import get_catalogs

ALL = "'__all__'"
LIMA = "'America/Lima'"
TODAY = f"coalesce(toDateOrNull(${{dia:sqlstring}}), toDate(now(), {LIMA}))"
YEAR = "toUInt16OrZero(${anio:sqlstring})"


def selected(column: str, variable: str) -> str:
    values = f"${{{variable}:singlequote}}"
    return f"({ALL} IN ({values}) OR {column} IN ({values}))"


OFFICE = selected("office", "oficina")
CHANNEL = selected("channel", "canal")
PROVIDER = selected("provider", "eps")
FILTERS = f"{OFFICE} AND {CHANNEL} AND {PROVIDER}"
YEAR_SO_FAR = "day BETWEEN toStartOfYear(today) AND today"

CASE_TYPE_COLUMNS = ", ".join(
    f"sumIf(d.attentions, d.day = today AND d.case_type = '{t.code}') AS \"{t.board_name}\""
    for t in get_catalogs().case_types_for_years()
)
TODAY_AND_YEAR = (
    'sumIf(d.attentions, d.day = today) AS "Hoy", sum(d.attentions) AS "En lo que va del año"'
)


def percent(part: str, whole: str) -> str:
    """Whole percent, halves rounded up (as the report), NULL when the whole is 0."""
    return f"if({whole} = 0, NULL, intDiv(200 * {part} + {whole}, 2 * {whole}))"


def signed_percent(now: str, before: str) -> str:
    """Growth in whole percent, halves away from zero (as the report's percent())."""
    change = f"({now} - {before})"
    return (
        f"if({before} = 0, NULL, "
        f"sign({change}) * intDiv(200 * abs({change}) + {before}, 2 * {before}))"
    )


# -- Atenciones — hoy vs año --------------------------------------------------------------------

DAY_TOTAL = f"""
WITH {TODAY} AS today
SELECT sum(attentions) AS "Atenciones del día"
FROM atenciones.daily_counts
WHERE day = today AND {FILTERS}
"""

YEAR_TO_DATE = f"""
WITH {TODAY} AS today
SELECT sum(attentions) AS "En lo que va del año"
FROM atenciones.daily_counts
WHERE {YEAR_SO_FAR} AND {FILTERS}
"""

_TODAY_SUM = "sumIf(attentions, day = today)"
_LAST_YEAR_SUM = "sumIf(attentions, day != today)"
SAME_DAY_LAST_YEAR = f"""
WITH {TODAY} AS today
SELECT {_LAST_YEAR_SUM} AS "Mismo día del año anterior",
       {signed_percent(_TODAY_SUM, _LAST_YEAR_SUM)} AS "Variación %"
FROM atenciones.daily_counts
WHERE day IN (today, today - INTERVAL 1 YEAR) AND {FILTERS}
"""

_THIS_PERIOD = "sumIf(attentions, day >= toStartOfYear(today))"
_LAST_PERIOD = "sumIf(attentions, day < toStartOfYear(today))"
YEAR_OVER_YEAR = f"""
WITH {TODAY} AS today
SELECT {_THIS_PERIOD} AS "En lo que va del año",
       {_LAST_PERIOD} AS "Mismo periodo del año anterior",
       {signed_percent(_THIS_PERIOD, _LAST_PERIOD)} AS "Variación %"
FROM atenciones.daily_counts
WHERE (day BETWEEN toStartOfYear(today) AND today
       OR day BETWEEN toStartOfYear(today) - INTERVAL 1 YEAR AND today - INTERVAL 1 YEAR)
  AND {FILTERS}
"""


def _by_catalog(label: str, catalog: str, column: str, order: str) -> str:
    return f"""
WITH {TODAY} AS today
SELECT k.name AS "{label}", {TODAY_AND_YEAR}
FROM atenciones.catalog_{catalog} AS k
LEFT JOIN (
    SELECT day, {column}, attentions FROM atenciones.daily_counts
    WHERE {YEAR_SO_FAR} AND {FILTERS}
) AS d ON d.{column} = k.code
GROUP BY k.name, k.position
ORDER BY {order}
"""


BY_CHANNEL = _by_catalog("Canal", "channels", "channel", "k.position")
BY_OFFICE = _by_catalog("Oficina", "offices", "office", '"Hoy" DESC, k.position')
BY_CASE_TYPE = _by_catalog("Tipo de caso", "case_types", "case_type", "k.position")


def top_subtypes(case_type: str) -> str:
    day_of_type = f"day = today AND case_type = '{case_type}' AND {FILTERS}"
    share = percent("sum(d.attentions)", "type_total")
    return f"""
WITH {TODAY} AS today,
     (SELECT sum(attentions) FROM atenciones.daily_counts WHERE {day_of_type}) AS type_total
SELECT s.name AS "Subtipo", sum(d.attentions) AS "N°", {share} AS "%"
FROM (SELECT case_subtype, attentions FROM atenciones.daily_counts WHERE {day_of_type}) AS d
JOIN atenciones.catalog_case_subtypes AS s ON s.code = d.case_subtype
GROUP BY s.name, s.position
ORDER BY "N°" DESC, s.position
"""


TOP_OPERATIONAL = top_subtypes("operacional")
TOP_COMMERCIAL = top_subtypes("comercial")

EPS_TABLE = f"""
WITH {TODAY} AS today
SELECT p.number AS "N°", p.name AS "Prestador", r.name AS "Región", {CASE_TYPE_COLUMNS},
       {TODAY_AND_YEAR}
FROM atenciones.catalog_providers AS p
JOIN atenciones.catalog_regions AS r ON r.code = p.region
LEFT JOIN (
    SELECT day, provider, provider_region, case_type, attentions FROM atenciones.daily_counts
    WHERE {YEAR_SO_FAR} AND provider_scope = 'eps' AND {FILTERS}
) AS d ON d.provider = p.code AND d.provider_region = p.region
WHERE {selected("p.code", "eps")}
GROUP BY p.position, p.number, p.name, r.name
ORDER BY p.position
"""

SEDAPAL_DISTRICTS = f"""
WITH {TODAY} AS today
SELECT k.label AS "Distrito", {CASE_TYPE_COLUMNS}, {TODAY_AND_YEAR}
FROM (
    SELECT assumeNotNull(position) AS row_number, name AS label
    FROM atenciones.catalog_districts WHERE position IS NOT NULL
    UNION ALL SELECT 999 AS row_number, 'Otros' AS label
) AS k
LEFT JOIN (
    SELECT c.day AS day, c.case_type AS case_type, c.attentions AS attentions,
           if(l.position IS NULL, 999, assumeNotNull(l.position)) AS row_number
    FROM (
        SELECT day, case_type, district, attentions FROM atenciones.daily_counts
        WHERE {YEAR_SO_FAR} AND provider_scope = 'eps' AND provider = 'sedapal' AND {FILTERS}
    ) AS c
    LEFT JOIN atenciones.catalog_districts AS l ON l.code = c.district
) AS d ON d.row_number = k.row_number
GROUP BY k.row_number, k.label
ORDER BY k.row_number
"""

OUTSIDE_EPS = f"""
WITH {TODAY} AS today
SELECT k.name AS "Ámbito", {CASE_TYPE_COLUMNS}, {TODAY_AND_YEAR}
FROM atenciones.catalog_provider_scopes AS k
LEFT JOIN (
    SELECT day, provider_scope, case_type, attentions FROM atenciones.daily_counts
    WHERE {YEAR_SO_FAR} AND {OFFICE} AND {CHANNEL}
) AS d ON d.provider_scope = k.code
WHERE k.outside_eps = 'true'
GROUP BY k.position, k.name
ORDER BY k.position
"""

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

# -- Evolución ----------------------------------------------------------------------------------

MONTHS = (
    "['Enero', 'Febrero', 'Marzo', 'Abril', 'Mayo', 'Junio', 'Julio', 'Agosto', 'Septiembre', "
    "'Octubre', 'Noviembre', 'Diciembre']"
)


def monthly_split(group: str, join: str) -> str:
    this_year = "sumIf(d.attentions, toYear(d.day) = year)"
    last_year = "sumIf(d.attentions, toYear(d.day) = year - 1)"
    return f"""
WITH {YEAR} AS year
SELECT {group} AS "Grupo", toMonth(d.day) AS "N° mes", {MONTHS}[toMonth(d.day)] AS "Mes",
       {last_year} AS "Año anterior", {this_year} AS "Año",
       if({this_year} = 0, NULL, {signed_percent(this_year, last_year)}) AS "Variación %"
FROM atenciones.daily_counts AS d
{join}
WHERE toYear(d.day) IN (year - 1, year)
GROUP BY "Grupo", "N° mes", "Mes"
ORDER BY "Grupo", "N° mes"
"""


MONTHLY_LIMA_REGIONS = monthly_split(
    "if(k.area = 'lima', 'Lima', 'Regiones')",
    "JOIN atenciones.catalog_offices AS k ON k.code = d.office",
)
MONTHLY_CASE_TYPES = monthly_split(
    "k.annual_name", "JOIN atenciones.catalog_case_types AS k ON k.code = d.case_type"
)
MONTHLY_MODALITY = monthly_split(
    "initcap(k.modality)", "JOIN atenciones.catalog_channels AS k ON k.code = d.channel"
)

MONTHLY_OVER_RANGE = f"""
SELECT toDateTime(toStartOfMonth(d.day), {LIMA}) AS time,
       if(k.area = 'lima', 'Lima', 'Regiones') AS area, sum(d.attentions) AS attentions
FROM atenciones.daily_counts AS d
JOIN atenciones.catalog_offices AS k ON k.code = d.office
WHERE d.day BETWEEN toDate($__fromTime, {LIMA}) AND toDate($__toTime, {LIMA})
GROUP BY time, area
ORDER BY time
"""

ANNUAL_CASE_TYPES = f"""
WITH {YEAR} AS year
SELECT toYear(day) AS "Año",
       sumIf(attentions, case_type = 'operacional') AS "Operacional",
       sumIf(attentions, case_type = 'comercial') AS "Comercial",
       sumIf(attentions, case_type = 'informacion_general') AS "Información general",
       sumIf(attentions, case_type = 'expediente_trass') AS "Expediente TRASS",
       sum(attentions) AS "TOTAL"
FROM atenciones.daily_counts
WHERE toYear(day) <= year
GROUP BY "Año"
ORDER BY "Año"
"""

ANNUAL_MODALITY = f"""
WITH {YEAR} AS year
SELECT toYear(d.day) AS "Año",
       sumIf(d.attentions, k.modality = 'presencial') AS "Presencial",
       sumIf(d.attentions, k.modality = 'remoto') AS "Remoto",
       sum(d.attentions) AS "TOTAL"
FROM atenciones.daily_counts AS d
JOIN atenciones.catalog_channels AS k ON k.code = d.channel
WHERE toYear(d.day) <= year
GROUP BY "Año"
ORDER BY "Año"
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

CASES_OF_THE_DAY = f"""
WITH {TODAY} AS today
SELECT u.case_id AS "Caso",
       concat(if(r.name = '', u.region, r.name), ' / ', u.province, ' / ', u.district)
           AS "Región / Provincia / Distrito",
       u.summary AS "Resumen", u.source AS "Fuente", u.action AS "Acción adoptada",
       u.status AS "Estado"
FROM ({latest_case_updates_on("today")}) AS u
LEFT JOIN atenciones.catalog_regions AS r ON r.code = u.region
WHERE {selected("u.office", "oficina")}
ORDER BY u.first_update, u.case_id
"""
