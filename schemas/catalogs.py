"""The single loader of the reference catalogs (schemas/catalogs/*.csv), used by every room."""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TypeVar

CATALOG_DIR = Path(__file__).with_name("catalogs")
Row = TypeVar("Row")


@dataclass(frozen=True)
class Office:
    code: str
    name: str
    region: str
    area: str  # "lima" (Lima Metropolitana y Callao) or "regiones": the evolution charts' split
    order: int


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    ubigeo: str  # INEI department code, the first two digits of a district's ubigeo
    order: int


@dataclass(frozen=True)
class Channel:
    code: str
    name: str  # label of the day's "Por canal" list
    table_name: str  # column header of the office x channel tables
    modality: str  # presencial | remoto
    order: int
    table_order: int


@dataclass(frozen=True)
class CaseType:
    code: str
    name: str  # label of the day's "Por tipo de casos" list
    table_name: str  # column header of the office x case type tables
    eps_name: str  # column header of the EPS, Sedapal and outside-EPS tables
    annual_name: str  # label of the annual results
    board_name: str  # column header of the boards' case-type panels
    order: int
    table_order: int  # column order of the report's tables
    annual_order: int  # order of the annual results, the evolution and the boards' columns
    requires_subtype: bool


@dataclass(frozen=True)
class CaseSubtype:
    code: str
    case_type: str
    name: str
    in_seed: bool  # False: added from the usual Sunass categories, not printed in the seed
    order: int
    # The kind of service interruption or failure it signals (water_supply, pressure, quality,
    # sewage, break), '' for none: what the live incident detector counts (incidents/).
    service_failure: str


@dataclass(frozen=True)
class ProviderScope:
    code: str
    name: str
    order: int
    outside_eps: bool  # counted in the "outside the EPS" tables (rural, small city, other urban)


@dataclass(frozen=True)
class ProviderArea:
    """One row of the EPS table: an EPS in one region (an EPS may serve several regions)."""

    code: str
    number: int | None
    name: str
    region: str
    order: int


@dataclass(frozen=True)
class District:
    code: str  # INEI ubigeo, 6 digits
    name: str
    province: str
    order: int | None  # position in the Sedapal table; None: shown under "Otros"


@dataclass(frozen=True)
class Place:
    """A district named outside Sedapal's table (places.csv): alerts and relevant cases name it."""

    code: str  # INEI ubigeo, 6 digits
    name: str
    province: str


@dataclass(frozen=True)
class Catalogs:
    """Every catalog, indexed by code, in display order."""

    offices: dict[str, Office]
    regions: dict[str, Region]
    channels: dict[str, Channel]
    case_types: dict[str, CaseType]
    case_subtypes: dict[str, CaseSubtype]
    provider_scopes: dict[str, ProviderScope]
    provider_areas: list[ProviderArea]
    districts: dict[str, District]
    places: dict[str, Place]
    provider_regions: dict[str, tuple[str, ...]] = field(init=False)

    def __post_init__(self) -> None:
        regions: dict[str, list[str]] = {}
        for area in self.provider_areas:
            regions.setdefault(area.code, []).append(area.region)
        object.__setattr__(self, "provider_regions", {k: tuple(v) for k, v in regions.items()})

    def subtypes_of(self, case_type: str) -> list[CaseSubtype]:
        return [s for s in self.case_subtypes.values() if s.case_type == case_type]

    def home_region(self, provider: str) -> str:
        """The region of the provider's first row: the default when an event names none."""
        return self.provider_regions[provider][0]

    def case_types_for_tables(self) -> list[CaseType]:
        """The case types in the column order of the report's tables."""
        return sorted(self.case_types.values(), key=lambda t: t.table_order)

    def case_types_for_years(self) -> list[CaseType]:
        """The case types in the order of the annual results, the evolution and the boards."""
        return sorted(self.case_types.values(), key=lambda t: t.annual_order)

    def outside_eps_scopes(self) -> list[str]:
        """The provider scopes outside the utilities, in display order."""
        return [code for code, scope in self.provider_scopes.items() if scope.outside_eps]

    def region_of_ubigeo(self, ubigeo: str) -> Region | None:
        return next((r for r in self.regions.values() if r.ubigeo == ubigeo[:2]), None)

    def place_names(self, ubigeo: str) -> tuple[str, str, str] | None:
        """(region code, province, district) of a district, when the catalogs name it."""
        region = self.region_of_ubigeo(ubigeo)
        known = self.districts.get(ubigeo) or self.places.get(ubigeo)
        if region is None or known is None:
            return None
        return region.code, known.province, known.name

    def sedapal_districts(self) -> list[District]:
        """The districts the Sedapal table lists by name, in the seed's order."""
        return sorted((d for d in self.districts.values() if d.order), key=lambda d: d.order or 0)


class CatalogError(ValueError):
    """A catalog file is malformed or inconsistent with another one."""


def read_catalog_file(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """A catalog CSV's header and rows, as text: the one reader of the catalog files (the
    ClickHouse catalog tables are loaded from it too)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        header = list(reader.fieldnames or [])
    if not rows:
        raise CatalogError(f"{path} has no rows")
    return header, rows


def _rows(name: str, directory: Path) -> list[dict[str, str]]:
    return read_catalog_file(directory / f"{name}.csv")[1]


def _by_code(items: Iterable[Row], what: str) -> dict[str, Row]:
    indexed: dict[str, Row] = {}
    for item in items:
        code = getattr(item, "code")  # noqa: B009 - every catalog row has a code
        if code in indexed:
            raise CatalogError(f"duplicate {what} code {code!r}")
        indexed[code] = item
    return dict(sorted(indexed.items(), key=lambda kv: getattr(kv[1], "order")))  # noqa: B009


def _bool(text: str) -> bool:
    if text not in ("true", "false"):
        raise CatalogError(f"expected true/false, got {text!r}")
    return text == "true"


def load_catalogs(directory: Path = CATALOG_DIR) -> Catalogs:
    """Read and cross-check every catalog in directory."""
    areas = _records(ProviderArea, "providers", directory)
    catalogs = Catalogs(
        offices=_by_code(_records(Office, "offices", directory), "office"),
        regions={r.code: r for r in _records(Region, "regions", directory)},
        channels=_by_code(_records(Channel, "channels", directory), "channel"),
        case_types=_by_code(_records(CaseType, "case_types", directory), "case type"),
        case_subtypes=_by_code(_records(CaseSubtype, "case_subtypes", directory), "case subtype"),
        provider_scopes=_by_code(
            _records(ProviderScope, "provider_scopes", directory), "provider scope"
        ),
        provider_areas=sorted(areas, key=lambda a: a.order),
        districts={d.code: d for d in _records(District, "districts", directory)},
        places={p.code: p for p in _records(Place, "places", directory)},
    )
    _cross_check(catalogs)
    return catalogs


# How a catalog cell becomes a field's value, by the field's declared type.
_CELL: dict[str, Callable[[str], object]] = {
    "str": str,
    "int": int,
    "bool": _bool,
    "int | None": lambda text: int(text) if text else None,
}


def _records(kind: type[Row], name: str, directory: Path) -> list[Row]:
    """A catalog file as `kind` records: one field per column, named alike, typed by the field."""
    path = directory / f"{name}.csv"
    header, rows = read_catalog_file(path)
    fields = dataclasses.fields(kind)  # type: ignore[arg-type]
    missing = [f.name for f in fields if f.name not in header]
    if missing:
        raise CatalogError(f"{path.name}: missing column(s) {', '.join(missing)}")
    try:
        return [kind(**{f.name: _CELL[str(f.type)](row[f.name]) for f in fields}) for row in rows]
    except ValueError as error:
        raise CatalogError(f"{path.name}: {error}") from error


def _cross_check(catalogs: Catalogs) -> None:
    problems = [
        f"office {o.code}: unknown region {o.region}"
        for o in catalogs.offices.values()
        if o.region not in catalogs.regions
    ]
    problems += [
        f"provider {a.code}: unknown region {a.region}"
        for a in catalogs.provider_areas
        if a.region not in catalogs.regions
    ]
    problems += [
        f"subtype {s.code}: unknown case type {s.case_type}"
        for s in catalogs.case_subtypes.values()
        if s.case_type not in catalogs.case_types
    ]
    problems += [
        f"district {d}: not a 6-digit ubigeo"
        for d in [*catalogs.districts, *catalogs.places]
        if not (len(d) == 6 and d.isdigit())
    ]
    problems += [
        f"place {code}: already in districts.csv"
        for code in catalogs.places
        if code in catalogs.districts
    ]
    problems += [
        f"channel {c.code}: modality {c.modality!r} is not presencial/remoto"
        for c in catalogs.channels.values()
        if c.modality not in ("presencial", "remoto")
    ]
    seen: set[tuple[str, str]] = set()
    for area in catalogs.provider_areas:
        if (area.code, area.region) in seen:
            problems.append(f"provider {area.code} listed twice for region {area.region}")
        seen.add((area.code, area.region))
    if problems:
        raise CatalogError("; ".join(problems))


@cache
def get_catalogs() -> Catalogs:
    """The catalogs shipped with the code (read once per process)."""
    return load_catalogs()
