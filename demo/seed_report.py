"""Parses the hand-made seed report (reporte-diario-2024-11-08.md) into figures keyed by codes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from schemas.catalogs import Catalogs, get_catalogs

# the seed's tables have the case types in the catalog's table order
TYPE_TABLE_COLUMNS = tuple(t.code for t in get_catalogs().case_types_for_tables())


@dataclass
class SeedFigures:
    """Every figure the seed publishes, by catalog code. Labels are resolved through catalogs."""

    day_total: int = 0
    offices_day: dict[str, int] = field(default_factory=dict)
    channels_day: dict[str, int] = field(default_factory=dict)
    case_types_day: dict[str, int] = field(default_factory=dict)
    ytd_total: int = 0
    operational_top: dict[str, int] = field(default_factory=dict)  # subtype -> n, plus "otros"
    operational_ytd: int = 0
    commercial_day: dict[str, int] = field(default_factory=dict)
    commercial_ytd: int = 0
    office_channel_day: dict[str, dict[str, int]] = field(default_factory=dict)
    office_ytd: dict[str, int] = field(default_factory=dict)
    office_type_day: dict[str, dict[str, int]] = field(default_factory=dict)
    eps_day: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)  # (code, region)
    eps_ytd: dict[tuple[str, str], int] = field(default_factory=dict)
    sedapal_day: dict[str, dict[str, int]] = field(default_factory=dict)  # ubigeo or "otros"
    sedapal_ytd: dict[str, int] = field(default_factory=dict)
    outside_day: dict[str, dict[str, int]] = field(default_factory=dict)  # scope code
    outside_ytd: dict[str, int] = field(default_factory=dict)
    total_2023: int = 0
    channels_2023: dict[str, int] = field(default_factory=dict)
    types_2023: dict[str, int] = field(default_factory=dict)
    growth_2023_abs: int = 0
    growth_2023_pct: int = 0
    office_channel_2023: dict[str, dict[str, int]] = field(default_factory=dict)
    office_total_2022: dict[str, int] = field(default_factory=dict)
    office_type_2023: dict[str, dict[str, int]] = field(default_factory=dict)
    month_growth_pct: int = 0  # last complete month vs the same month a year before
    period_growth_pct: int = 0  # January to that month, vs the year before


def _clean(cell: str) -> str:
    return re.sub(r"</?b>", "", cell).replace("\u00a0", " ").strip()


class _Seed:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def rows(self, heading: str, occurrence: int = 0) -> list[list[str]]:
        starts = [i for i, line in enumerate(self.lines) if heading in line]
        start = starts[occurrence]
        rows = []
        for line in self.lines[start + 1 :]:
            if line.startswith("#"):
                break
            if "\t" in line:
                rows.append([_clean(c) for c in line.split("\t")])
        return rows

    def block(self, heading: str) -> list[str]:
        start = next(i for i, line in enumerate(self.lines) if line.strip() == heading)
        out = []
        for line in self.lines[start + 1 :]:
            if line.startswith("#") or "TOTAL" in line:
                break
            if line.strip():
                out.append(line)
        return out


def _int(text: str) -> int:
    return int(text.replace(",", "").replace("%", "").strip())


class _Names:
    """The seed's labels -> catalog codes."""

    def __init__(self, c: Catalogs) -> None:
        self.catalogs = c
        self.office = {o.name: o.code for o in c.offices.values()}
        self.channel = {ch.name.lower(): ch.code for ch in c.channels.values()}
        self.channels_in_tables = [
            ch.code for ch in sorted(c.channels.values(), key=lambda x: x.table_order)
        ]
        self.case_type = {t.name: t.code for t in c.case_types.values()}
        self.annual_type = {t.annual_name: t.code for t in c.case_types.values()}
        self.subtype = {(s.case_type, s.name): s.code for s in c.case_subtypes.values()}
        self.scope = {s.name: s.code for s in c.provider_scopes.values()}
        self.district = {d.name: d.code for d in c.sedapal_districts()}
        self.area = {(a.name, c.regions[a.region].name): a for a in c.provider_areas}


def parse_seed(text: str, catalogs: Catalogs | None = None) -> SeedFigures:
    names = _Names(catalogs or get_catalogs())
    seed = _Seed(text)
    f = SeedFigures()
    _day_summary(f, seed, text, names)
    _frequent_cases(f, seed, text, names)
    _offices_of_the_day(f, seed, names)
    _providers(f, seed, names)
    _evolution_and_2023(f, seed, text, names)
    return f


def _day_summary(f: SeedFigures, seed: _Seed, text: str, names: _Names) -> None:
    f.day_total = _int(re.search(r"N° Atenciones del .*?: (\d+)", text)[1])  # type: ignore[index]
    for line in seed.block("## Oficinas de Sunass"):
        name, count = line.rsplit("\t", 1)
        f.offices_day[names.office[name.strip()]] = _int(count)
    for line in seed.block("## Por canal"):
        parts = [p for p in line.split("\t") if p.strip()]
        f.channels_day[names.channel[parts[0].strip().lower()]] = _int(parts[-1])
    for line in seed.block("## Por tipo de casos"):
        parts = [p for p in line.split("\t") if p.strip()]
        f.case_types_day[names.case_type[parts[0].strip()]] = _int(parts[-1])
    f.ytd_total = _int(re.search(r"\*\*(\d+) orientaciones\*\*", text)[1])  # type: ignore[index]


def _frequent_cases(f: SeedFigures, seed: _Seed, text: str, names: _Names) -> None:
    for row in seed.rows("Casos operacionales más frecuentes"):
        if row[0] in ("OPERACIONALES", "TOTAL"):
            continue
        code = "otros" if row[0] == "Otros" else names.subtype[("operacional", row[0])]
        f.operational_top[code] = _int(row[1])
    f.operational_ytd = _int(re.search(r"\*\*(\d+) casos\*\* operacionales", text)[1])  # type: ignore[index]
    for row in seed.rows("Casos comerciales más frecuentes"):
        if row[0] in ("COMERCIALES", "TOTAL"):
            continue
        f.commercial_day[names.subtype[("comercial", row[0])]] = _int(row[1])
    f.commercial_ytd = _int(re.search(r"\*\*(\d+) casos\*\* comerciales", text)[1])  # type: ignore[index]


def _offices_of_the_day(f: SeedFigures, seed: _Seed, names: _Names) -> None:
    for row in seed.rows("# Atención por canal de atención del viernes"):
        if row[0] in names.office:
            f.office_channel_day[names.office[row[0]]] = {
                code: _int(v) for code, v in zip(names.channels_in_tables, row[1:9], strict=True)
            }
            f.office_ytd[names.office[row[0]]] = _int(row[10])
    for row in seed.rows("## Atención por tipo de casos del viernes"):
        if row[0] in names.office:
            f.office_type_day[names.office[row[0]]] = {
                code: _int(v) for code, v in zip(TYPE_TABLE_COLUMNS, row[1:5], strict=True)
            }


def _providers(f: SeedFigures, seed: _Seed, names: _Names) -> None:
    for heading in ("# Tipo de casos por EPS (1)", "## Tipo de casos por EPS (2)"):
        for row in seed.rows(heading):
            if (row[1], row[2]) in names.area:
                area = names.area[(row[1], row[2])]
                key = (area.code, area.region)
                f.eps_day[key] = dict(zip(TYPE_TABLE_COLUMNS, map(_int, row[3:7]), strict=True))
                f.eps_ytd[key] = _int(row[8])
    for row in seed.rows("# Tipo de casos en Sedapal"):
        if row[0].isdigit():
            code = "otros" if row[1] == "Otros" else names.district[row[1]]
            f.sedapal_day[code] = dict(zip(TYPE_TABLE_COLUMNS, map(_int, row[2:6]), strict=True))
            f.sedapal_ytd[code] = _int(row[7])
    for row in seed.rows("# Tipo de casos fuera del ámbito de EP"):
        if row[0].isdigit():
            code = names.scope[row[1]]
            f.outside_day[code] = dict(zip(TYPE_TABLE_COLUMNS, map(_int, row[2:6]), strict=True))
            f.outside_ytd[code] = _int(row[7])


def _evolution_and_2023(f: SeedFigures, seed: _Seed, text: str, names: _Names) -> None:
    f.month_growth_pct = _int(re.search(r"crecimiento del \*\*(\d+)%\*\*", text)[1])  # type: ignore[index]
    f.period_growth_pct = _int(re.search(r"registró un crecimiento del (\d+)%", text)[1])  # type: ignore[index]
    f.total_2023 = _int(re.search(r"N° Atenciones 2023: ([\d,]+)", text)[1])  # type: ignore[index]
    results = text.split("# ***Resultados 2023***")[1]
    by_channel = results.split("Por canal")[1].split("TOTAL")[0]
    for line in by_channel.strip().splitlines():
        parts = [_clean(p) for p in line.split("\t") if _clean(p)]
        if len(parts) < 2:
            continue
        f.channels_2023[names.channel[parts[0].strip().lower()]] = _int(parts[-1])
    by_type = results.split("Por tipo de casos")[1].split("TOTAL")[0]
    for line in by_type.strip().splitlines():
        parts = [_clean(p) for p in line.split("\t") if _clean(p)]
        if len(parts) < 2:
            continue
        f.types_2023[names.annual_type[parts[0].strip()]] = _int(parts[-1])
    growth = re.search(r"crecieron en \*\*([\d,]+) \(\+(\d+)%\)\*\*", text)
    f.growth_2023_abs, f.growth_2023_pct = _int(growth[1]), _int(growth[2])  # type: ignore[index]
    for row in seed.rows("# Atención en oficinas por canal de atención 2023"):
        if row[0] in names.office:
            f.office_channel_2023[names.office[row[0]]] = {
                code: _int(v) for code, v in zip(names.channels_in_tables, row[1:9], strict=True)
            }
            f.office_total_2022[names.office[row[0]]] = _int(row[10])
    for row in seed.rows("# Atención en oficinas por tipo de casos 2023"):
        if row[0] in names.office:
            f.office_type_2023[names.office[row[0]]] = {
                code: _int(v) for code, v in zip(TYPE_TABLE_COLUMNS, row[1:5], strict=True)
            }


def load_seed(path: Path) -> SeedFigures:
    return parse_seed(path.read_text(encoding="utf-8"))
