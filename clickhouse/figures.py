"""The figure catalog: every figure that both the daily report and a Grafana board show, written
once as SQL over `atenciones.daily_counts` and the catalog tables.

A figure's SQL has free parts — the day shown, the year shown, the office / channel / EPS filters —
filled by a `Binding`: the boards' binding (grafana/panel_sql.py) fills them with Grafana
variables, `REPORT` with server-side parameters and no filter. So the report's table and the
board's panel run the same statement, and a new figure is added here once.
Figures only the boards show (the last hour, the time series, data quality, the case lists) live
in grafana/panel_sql.py; tables only the report shows are built from the report's cubes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from clickhouse_connect.driver.client import Client

from clickhouse.queries import latest_case_updates_on, records
from schemas.catalogs import get_catalogs

LIMA = "'America/Lima'"
CATCH_ALL_PREFIX = "otros_"  # the catch-all subtype of a case type: never a "frequent case"
TOP_OPERATIONAL = 5  # operational subtypes shown by name; the rest are folded into "Otros"
MONTH_NAMES = (
    "['Enero', 'Febrero', 'Marzo', 'Abril', 'Mayo', 'Junio', 'Julio', 'Agosto', 'Septiembre', "
    "'Octubre', 'Noviembre', 'Diciembre']"
)


def _everything(column: str) -> str:
    return "1"


@dataclass(frozen=True)
class Binding:
    """How a figure's free parts are filled."""

    today: str  # SQL expression: the Lima day shown
    year: str  # SQL expression: the year of the evolution figures
    office: Callable[[str], str] = _everything  # column -> condition
    channel: Callable[[str], str] = _everything
    provider: Callable[[str], str] = _everything

    def filters(self) -> str:
        return (
            f"{self.office('office')} AND {self.channel('channel')} AND {self.provider('provider')}"
        )


# The report: one day (and its year), every office, channel and EPS.
REPORT = Binding(today="{day:Date}", year="{year:UInt16}")


@dataclass(frozen=True)
class Figure:
    name: str
    build: Callable[[Binding], str]

    def sql(self, binding: Binding) -> str:
        return self.build(binding)

    def rows(self, client: Client, day: date, year: int | None = None) -> list[dict[str, Any]]:
        """The figure for the report: `day` as today, `year` (default: the day's) as the year."""
        sql = self.sql(REPORT)
        parameters: dict[str, Any] = {}
        if "{day:Date}" in sql:
            parameters["day"] = day
        if "{year:UInt16}" in sql:
            parameters["year"] = day.year if year is None else year
        return records(client, sql, **parameters)


def percent(part: str, whole: str) -> str:
    """Whole percent, halves rounded up (as the report), NULL when the whole is 0."""
    return f"intDiv(200 * {part} + {whole}, 2 * nullIf({whole}, 0))"


def signed_percent(now: str, before: str) -> str:
    """Growth in whole percent, halves away from zero (as the report's percent())."""
    change = f"({now} - {before})"
    return f"sign({change}) * intDiv(200 * abs({change}) + {before}, 2 * nullIf({before}, 0))"


YEAR_SO_FAR = "day BETWEEN toStartOfYear(today) AND today"
TODAY_AND_YEAR = (
    'sumIf(d.attentions, d.day = today) AS "Hoy", sum(d.attentions) AS "En lo que va del año"'
)


def _case_type_columns() -> str:
    """One column per case type: the day's attentions of that type, named as on the boards."""
    return ", ".join(
        f"sumIf(d.attentions, d.day = today AND d.case_type = '{t.code}') AS \"{t.board_name}\""
        for t in get_catalogs().case_types_for_years()
    )


# -- Totals -------------------------------------------------------------------------------------


def _day_total(b: Binding) -> str:
    return f"""
WITH {b.today} AS today
SELECT sum(attentions) AS "Atenciones del día"
FROM atenciones.daily_counts
WHERE day = today AND {b.filters()}
"""


def _same_day_last_year(b: Binding) -> str:
    today_sum, last_year_sum = "sumIf(attentions, day = today)", "sumIf(attentions, day != today)"
    return f"""
WITH {b.today} AS today
SELECT {last_year_sum} AS "Mismo día del año anterior",
       {signed_percent(today_sum, last_year_sum)} AS "Variación %"
FROM atenciones.daily_counts
WHERE day IN (today, today - INTERVAL 1 YEAR) AND {b.filters()}
"""


def _year_over_year(b: Binding) -> str:
    this_period = "sumIf(attentions, day >= toStartOfYear(today))"
    last_period = "sumIf(attentions, day < toStartOfYear(today))"
    return f"""
WITH {b.today} AS today
SELECT {this_period} AS "En lo que va del año",
       {last_period} AS "Mismo periodo del año anterior",
       {signed_percent(this_period, last_period)} AS "Variación %"
FROM atenciones.daily_counts
WHERE (day BETWEEN toStartOfYear(today) AND today
       OR day BETWEEN toStartOfYear(today) - INTERVAL 1 YEAR AND today - INTERVAL 1 YEAR)
  AND {b.filters()}
"""


# -- The day and the year so far, by one catalog ------------------------------------------------


def _by_catalog(label: str, catalog: str, column: str, order: str) -> Callable[[Binding], str]:
    def build(b: Binding) -> str:
        return f"""
WITH {b.today} AS today
SELECT k.name AS "{label}", {TODAY_AND_YEAR}
FROM atenciones.catalog_{catalog} AS k
LEFT JOIN (
    SELECT day, {column}, attentions FROM atenciones.daily_counts
    WHERE {YEAR_SO_FAR} AND {b.filters()}
) AS d ON d.{column} = k.code
GROUP BY k.name, k.position
ORDER BY {order}
"""

    return build


def _top_subtypes(case_type: str, top: int | None) -> Callable[[Binding], str]:
    """The day's subtypes of a case type, most frequent first, with their share of the type.
    The catch-all subtype comes last; with `top`, only that many are named and the rest (the
    catch-all included) are one "Otros" row, always shown."""

    def build(b: Binding) -> str:
        day_of_type = f"day = today AND case_type = '{case_type}' AND {b.filters()}"
        folded = "0" if top is None else f"(catch_all OR rank > {top})"
        otros_row = "" if top is None else "UNION ALL SELECT 'Otros', 0, 1000000"
        return f"""
WITH {b.today} AS today,
     (SELECT sum(attentions) FROM atenciones.daily_counts WHERE {day_of_type}) AS type_total
SELECT label AS "Subtipo", sum(n) AS "N°", ifNull({percent("sum(n)", "type_total")}, 0) AS "%"
FROM (
    SELECT if({folded}, 'Otros', name) AS label, n, if({folded}, 1000000, rank) AS row_order
    FROM (
        SELECT s.name AS name, d.n AS n, startsWith(s.code, '{CATCH_ALL_PREFIX}') AS catch_all,
               row_number() OVER (ORDER BY catch_all, d.n DESC, s.position) AS rank
        FROM (
            SELECT case_subtype, sum(attentions) AS n FROM atenciones.daily_counts
            WHERE {day_of_type} GROUP BY case_subtype HAVING n > 0
        ) AS d
        JOIN atenciones.catalog_case_subtypes AS s ON s.code = d.case_subtype
    )
    {otros_row}
)
GROUP BY label
ORDER BY min(row_order)
"""

    return build


# -- Providers ----------------------------------------------------------------------------------


def _eps_by_case_type(b: Binding) -> str:
    return f"""
WITH {b.today} AS today
SELECT p.number AS "N°", p.name AS "Prestador", r.name AS "Región", {_case_type_columns()},
       {TODAY_AND_YEAR}
FROM atenciones.catalog_providers AS p
JOIN atenciones.catalog_regions AS r ON r.code = p.region
LEFT JOIN (
    SELECT day, provider, provider_region, case_type, attentions FROM atenciones.daily_counts
    WHERE {YEAR_SO_FAR} AND provider_scope = 'eps' AND {b.filters()}
) AS d ON d.provider = p.code AND d.provider_region = p.region
WHERE {b.provider("p.code")}
GROUP BY p.position, p.number, p.name, r.name
ORDER BY p.position
"""


def _sedapal_districts(b: Binding) -> str:
    return f"""
WITH {b.today} AS today
SELECT k.label AS "Distrito", {_case_type_columns()}, {TODAY_AND_YEAR}
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
        WHERE {YEAR_SO_FAR} AND provider_scope = 'eps' AND provider = 'sedapal' AND {b.filters()}
    ) AS c
    LEFT JOIN atenciones.catalog_districts AS l ON l.code = c.district
) AS d ON d.row_number = k.row_number
GROUP BY k.row_number, k.label
ORDER BY k.row_number
"""


def _outside_eps(b: Binding) -> str:
    return f"""
WITH {b.today} AS today
SELECT k.name AS "Ámbito", {_case_type_columns()}, {TODAY_AND_YEAR}
FROM atenciones.catalog_provider_scopes AS k
LEFT JOIN (
    SELECT day, provider_scope, case_type, attentions FROM atenciones.daily_counts
    WHERE {YEAR_SO_FAR} AND {b.office("office")} AND {b.channel("channel")}
) AS d ON d.provider_scope = k.code
WHERE k.outside_eps = 'true'
GROUP BY k.position, k.name
ORDER BY k.position
"""


# -- Evolution ----------------------------------------------------------------------------------


def _monthly_split(group: str, join: str) -> Callable[[Binding], str]:
    """Each group's attentions by month, the year shown and the one before."""

    def build(b: Binding) -> str:
        this_year = "sumIf(d.attentions, toYear(d.day) = year)"
        last_year = "sumIf(d.attentions, toYear(d.day) = year - 1)"
        return f"""
WITH {b.year} AS year
SELECT {group} AS "Grupo", toMonth(d.day) AS "N° mes", {MONTH_NAMES}[toMonth(d.day)] AS "Mes",
       {last_year} AS "Año anterior", {this_year} AS "Año",
       if({this_year} = 0, NULL, {signed_percent(this_year, last_year)}) AS "Variación %"
FROM atenciones.daily_counts AS d
{join}
WHERE toYear(d.day) IN (year - 1, year)
GROUP BY "Grupo", "N° mes", "Mes"
ORDER BY "Grupo", "N° mes"
"""

    return build


def _annual_case_types(b: Binding) -> str:
    columns = ", ".join(
        f"sumIf(attentions, case_type = '{t.code}') AS \"{t.annual_name}\""
        for t in get_catalogs().case_types_for_years()
    )
    return f"""
WITH {b.year} AS year
SELECT toYear(day) AS "Año", {columns}, sum(attentions) AS "TOTAL"
FROM atenciones.daily_counts
WHERE toYear(day) <= year
GROUP BY "Año"
ORDER BY "Año"
"""


def modality_names() -> dict[str, str]:
    """The channels' modalities (code -> column name), in the channels' order."""
    return {ch.modality: ch.modality.capitalize() for ch in get_catalogs().channels.values()}


def _annual_modality(b: Binding) -> str:
    columns = ", ".join(
        f"sumIf(d.attentions, k.modality = '{code}') AS \"{name}\""
        for code, name in modality_names().items()
    )
    return f"""
WITH {b.year} AS year
SELECT toYear(d.day) AS "Año", {columns}, sum(d.attentions) AS "TOTAL"
FROM atenciones.daily_counts AS d
JOIN atenciones.catalog_channels AS k ON k.code = d.channel
WHERE toYear(d.day) <= year
GROUP BY "Año"
ORDER BY "Año"
"""


# -- Relevant cases -----------------------------------------------------------------------------


def _cases_of_the_day(b: Binding) -> str:
    return f"""
WITH {b.today} AS today
SELECT u.case_id AS "Caso",
       concat(if(r.name = '', u.region, r.name), ' / ', u.province, ' / ', u.district)
           AS "Región / Provincia / Distrito",
       u.summary AS "Resumen", u.source AS "Fuente", u.action AS "Acción adoptada",
       u.status AS "Estado"
FROM ({latest_case_updates_on("today")}) AS u
LEFT JOIN atenciones.catalog_regions AS r ON r.code = u.region
WHERE {b.office("u.office")}
ORDER BY u.first_update, u.case_id
"""


# -- Incident alerts (incidents/README.md) -------------------------------------------------------

# Where an alert is: "Región / Provincia / Distrito" when the catalogs name the district, the
# region and the ubigeo when they do not, "ODS <office>" where the attentions gave no district.
ALERT_PLACE = """
if(startsWith(a.place, 'ods:'),
   concat('ODS ', if(o.name = '', substring(a.place, 5), o.name)),
   concat(if(r.name = '', '?', r.name), ' / ',
          if(n.name = '', concat('ubigeo ', a.place), concat(n.province, ' / ', n.name))))
"""


def _lima_time(column: str, pattern: str) -> str:
    return f"formatDateTime({column}, '{pattern}', {LIMA})"


def _alerts(b: Binding) -> str:
    """The alerts that opened on the day shown, and those opened before that are still open."""
    return f"""
WITH {b.today} AS today,
     (SELECT (groupArray(code), groupArray(name)) FROM atenciones.catalog_case_subtypes) AS names
SELECT if(a.status = 'open', 'ABIERTA', 'CERRADA') AS "Estado",
       if(p.name != '', p.name, if(s.name != '', s.name, a.provider)) AS "Prestador",
       {ALERT_PLACE.strip()} AS "Lugar",
       {_lima_time("a.window_start", "%d/%m %H:%i")} AS "Desde",
       {_lima_time("a.opened_at", "%H:%i")} AS "Alerta",
       if(a.closed_at IS NULL, '', {_lima_time("assumeNotNull(a.closed_at)", "%H:%i")})
           AS "Cierre",
       a.peak_count AS "Pico", a.peak_minutes AS "Minutos",
       round(a.peak_expected, 2) AS "Esperado", a.attentions AS "Atenciones",
       arrayStringConcat(
           arrayMap(k -> concat(transform(k, names.1, names.2, k), ' (',
                                toString(a.subtypes[k]), ')'),
                    arraySort(k -> (-a.subtypes[k], k), mapKeys(a.subtypes))), ', ')
           AS "Casos",
       a.alert_id AS "Id"
FROM atenciones.alerts AS a FINAL
LEFT JOIN (SELECT code, any(name) AS name FROM atenciones.catalog_providers GROUP BY code)
    AS p ON p.code = a.provider
LEFT JOIN atenciones.catalog_provider_scopes AS s ON s.code = a.provider
LEFT JOIN atenciones.catalog_regions AS r ON r.ubigeo = substring(a.place, 1, 2)
LEFT JOIN (
    SELECT code, name, province FROM atenciones.catalog_districts
    UNION ALL SELECT code, name, province FROM atenciones.catalog_places
) AS n ON n.code = a.place
LEFT JOIN atenciones.catalog_offices AS o ON o.code = substring(a.place, 5)
WHERE (a.day = today OR (a.status = 'open' AND a.day < today)) AND {b.provider("a.provider")}
ORDER BY a.status = 'open' DESC, a.opened_at, a.alert_id
"""


DAY_TOTAL = Figure("day_total", _day_total)
SAME_DAY_LAST_YEAR = Figure("same_day_last_year", _same_day_last_year)
YEAR_OVER_YEAR = Figure("year_over_year", _year_over_year)
BY_CHANNEL = Figure("by_channel", _by_catalog("Canal", "channels", "channel", "k.position"))
BY_OFFICE = Figure(
    "by_office", _by_catalog("Oficina", "offices", "office", '"Hoy" DESC, k.position')
)
BY_CASE_TYPE = Figure(
    "by_case_type", _by_catalog("Tipo de caso", "case_types", "case_type", "k.position")
)
TOP_OPERATIONAL_SUBTYPES = Figure(
    "top_operational_subtypes", _top_subtypes("operacional", TOP_OPERATIONAL)
)
COMMERCIAL_SUBTYPES = Figure("commercial_subtypes", _top_subtypes("comercial", None))
EPS_BY_CASE_TYPE = Figure("eps_by_case_type", _eps_by_case_type)
SEDAPAL_DISTRICTS = Figure("sedapal_districts", _sedapal_districts)
OUTSIDE_EPS = Figure("outside_eps", _outside_eps)
MONTHLY_LIMA_REGIONS = Figure(
    "monthly_lima_regions",
    _monthly_split(
        "if(k.area = 'lima', 'Lima', 'Regiones')",
        "JOIN atenciones.catalog_offices AS k ON k.code = d.office",
    ),
)
MONTHLY_CASE_TYPES = Figure(
    "monthly_case_types",
    _monthly_split(
        "k.annual_name", "JOIN atenciones.catalog_case_types AS k ON k.code = d.case_type"
    ),
)
MONTHLY_MODALITY = Figure(
    "monthly_modality",
    _monthly_split(
        "initcap(k.modality)", "JOIN atenciones.catalog_channels AS k ON k.code = d.channel"
    ),
)
ANNUAL_CASE_TYPES = Figure("annual_case_types", _annual_case_types)
ANNUAL_MODALITY = Figure("annual_modality", _annual_modality)
CASES_OF_THE_DAY = Figure("cases_of_the_day", _cases_of_the_day)
ALERTS = Figure("alerts", _alerts)

FIGURES = {
    f.name: f
    for f in (
        DAY_TOTAL, SAME_DAY_LAST_YEAR, YEAR_OVER_YEAR, BY_CHANNEL, BY_OFFICE,
        BY_CASE_TYPE, TOP_OPERATIONAL_SUBTYPES, COMMERCIAL_SUBTYPES, EPS_BY_CASE_TYPE,
        SEDAPAL_DISTRICTS, OUTSIDE_EPS, MONTHLY_LIMA_REGIONS, MONTHLY_CASE_TYPES,
        MONTHLY_MODALITY, ANNUAL_CASE_TYPES, ANNUAL_MODALITY, CASES_OF_THE_DAY, ALERTS,
    )
}  # fmt: skip
