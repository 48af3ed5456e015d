"""Every label the seed prints exists in the catalogs, spelt as the seed spells it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schemas.catalogs import CatalogError, get_catalogs, load_catalogs
from tests.seed import section_rows, seed_text


def test_offices_are_the_seed_offices_in_its_table_order() -> None:
    rows = section_rows("Atención por tipo de casos del viernes 08 de noviembre")
    seed_offices = [r[0] for r in rows[1:] if r[0] != "TOTAL"]
    assert [o.name for o in get_catalogs().offices.values()] == seed_offices
    assert len(seed_offices) == 26


def test_day_office_list_names_resolve() -> None:
    text = seed_text()
    block = text.split("## Oficinas de Sunass")[1].split("**TOTAL")[0]
    names = [re.sub(r"\s+\d+$", "", line).strip() for line in block.strip().splitlines() if line]
    office_names = {o.name for o in get_catalogs().offices.values()}
    assert set(names) == office_names


def test_channels_labels_and_orders() -> None:
    catalogs = get_catalogs()
    text = seed_text()
    day_list = text.split("## Por canal")[1].split("**TOTAL")[0]
    labels = [line.split("\t")[0] for line in day_list.strip().splitlines() if line.strip()]
    assert [c.name for c in catalogs.channels.values()] == labels
    header = section_rows("Atención por canal de atención del viernes")[1]
    table_labels = [c for c in header if c][:8]
    by_table = sorted(catalogs.channels.values(), key=lambda c: c.table_order)
    assert [c.table_name for c in by_table] == table_labels
    assert {c.modality for c in catalogs.channels.values()} == {"presencial", "remoto"}


def test_case_type_labels() -> None:
    catalogs = get_catalogs()
    text = seed_text()
    day_list = text.split("## Por tipo de casos")[1].split("**TOTAL")[0]
    labels = [line.split("\t")[0] for line in day_list.strip().splitlines() if line.strip()]
    assert [t.name for t in catalogs.case_types.values()] == labels
    header = section_rows("Atención por tipo de casos del viernes")[0]
    by_table = sorted(catalogs.case_types.values(), key=lambda t: t.table_order)
    assert [t.table_name for t in by_table] == [h.strip() for h in header[1:5]]
    eps_header = section_rows("Tipo de casos por EPS (1)")[1]
    assert [t.eps_name for t in by_table] == [h for h in eps_header if h][:4]
    annual = section_rows("Por tipo de casos", stop="TOTAL")
    assert {t.annual_name for t in catalogs.case_types.values()} >= {"Información general"}
    assert annual  # the 2023 list exists in the seed


def test_every_seed_subtype_is_in_the_catalog_with_its_type() -> None:
    catalogs = get_catalogs()
    names = {(s.case_type, s.name) for s in catalogs.case_subtypes.values()}
    operational = section_rows("Casos operacionales más frecuentes")[1:]
    commercial = section_rows("Casos comerciales más frecuentes")[1:]
    for row in operational:
        if row[0] not in ("Otros", "TOTAL"):
            assert ("operacional", row[0]) in names
    for row in commercial:
        if row[0] != "TOTAL":
            assert ("comercial", row[0]) in names
    seed_marked = {s.name for s in catalogs.case_subtypes.values() if s.in_seed}
    assert len(seed_marked) == 5 + 13
    assert catalogs.case_subtypes["otros_operacional"].case_type == "operacional"
    assert catalogs.case_subtypes["otros_comercial"].case_type == "comercial"


def test_providers_are_the_seed_eps_table_in_order() -> None:
    catalogs = get_catalogs()
    rows = section_rows("Tipo de casos por EPS (1)") + section_rows("Tipo de casos por EPS (2)")
    seed_rows = [(r[0], r[1], r[2]) for r in rows if len(r) > 3 and r[1] and r[1] != "PRESTADOR"]
    ours = [
        (str(a.number or ""), a.name, catalogs.regions[a.region].name)
        for a in catalogs.provider_areas
    ]
    assert ours == seed_rows
    assert len({a.code for a in catalogs.provider_areas}) == 50
    assert catalogs.provider_regions["selva_central"] == ("junin", "pasco")


def test_sedapal_districts_in_seed_order() -> None:
    catalogs = get_catalogs()
    rows = section_rows("Tipo de casos en Sedapal")[1:]
    seed_names = [r[1] for r in rows if r[0].isdigit() and r[1] != "Otros"]
    assert [d.name for d in catalogs.sedapal_districts()] == seed_names
    assert all(len(code) == 6 and code.isdigit() for code in catalogs.districts)
    assert catalogs.districts["150132"].name == "San Juan De Lurigancho"


def test_outside_eps_labels() -> None:
    rows = section_rows("Tipo de casos fuera del ámbito de EP")
    labels = [r[1] for r in rows if r[0].isdigit()]
    scopes = get_catalogs().provider_scopes
    assert [scopes[c].name for c in ("rural", "pequena_ciudad", "otro_urbano")] == labels


def test_broken_catalog_is_refused(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[3] / "schemas" / "catalogs"
    for csv_file in source.glob("*.csv"):
        (tmp_path / csv_file.name).write_text(
            csv_file.read_text(encoding="utf-8"), encoding="utf-8"
        )
    offices = tmp_path / "offices.csv"
    offices.write_text(offices.read_text(encoding="utf-8") + "nueva,Nueva,atlantis,regiones,27\n")
    with pytest.raises(CatalogError, match="office nueva: unknown region atlantis"):
        load_catalogs(tmp_path)


def test_orders_and_scope_groups_come_from_the_catalogs() -> None:
    catalogs = get_catalogs()
    types = catalogs.case_types.values()
    assert sorted(t.table_order for t in types) == list(range(1, len(types) + 1))
    assert sorted(t.annual_order for t in types) == list(range(1, len(types) + 1))
    assert [t.table_name for t in catalogs.case_types_for_tables()] == [
        "Operacional", "Comercial", "TRASS", "INFO. GRAL.",
    ]  # fmt: skip  # the seed's office x case type table
    assert [t.annual_name for t in catalogs.case_types_for_years()] == [
        "Operacional", "Comercial", "Información general", "Expediente TRASS",
    ]  # fmt: skip  # the seed's annual results
    assert catalogs.outside_eps_scopes() == ["rural", "pequena_ciudad", "otro_urbano"]
    assert set(catalogs.provider_scopes) - set(catalogs.outside_eps_scopes()) == {"eps"}


def test_no_module_lists_catalog_codes_by_hand() -> None:
    """Orders and groups of codes are said once, in schemas/catalogs/*.csv: a literal sequence
    of three or more codes of one catalog in the code is a copy that will drift."""
    import re  # noqa: PLC0415

    from foundation.settings import REPO_ROOT  # noqa: PLC0415

    catalogs = get_catalogs()
    copies = []
    for codes in (set(catalogs.case_types), set(catalogs.provider_scopes), set(catalogs.channels)):
        alternatives = "|".join(map(re.escape, codes))
        literal = re.compile(rf'"(?:{alternatives})"(?:\s*,\s*"(?:{alternatives})"){{2,}}')
        for path in REPO_ROOT.glob("*/**/*.py"):
            if path.parts[len(REPO_ROOT.parts)] in {"tests", ".venv", ".venv-peers"}:
                continue
            text = path.read_text(encoding="utf-8")
            copies += [
                f"{path.relative_to(REPO_ROOT)}: {m.group()}" for m in literal.finditer(text)
            ]
    assert copies == []
