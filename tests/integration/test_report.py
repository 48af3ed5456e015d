"""The daily report after the demo history has gone through the real pipeline (Kafka -> worker
-> ClickHouse) equals every consistent figure of the seed, section by section; it renders as
HTML with charts in headless Chromium and prints to PDF."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import clickhouse_connect
import pytest
from matplotlib import image

from atenciones.cli import main
from demo.load import SEED_REPORT
from demo.seed_report import SeedFigures, load_seed
from foundation.chromium import CHROMIUM_FLAGS, find_chromium
from foundation.settings import get_settings
from reports.build import build_report
from reports.generate import render
from reports.model import DailyReport
from reports.source import read_report_input
from schemas.catalogs import get_catalogs
from tests.fixtures.demo_data import DemoPipeline

DAY = date(2024, 11, 8)
# one xdist worker runs every test of the demo fixture (built once, ~50 s)
pytestmark = [pytest.mark.timeout(900), pytest.mark.xdist_group("demo")]


@pytest.fixture(scope="module")
def seed() -> SeedFigures:
    return load_seed(SEED_REPORT)


@pytest.fixture(scope="module")
def loaded(demo_pipeline: DemoPipeline) -> dict[str, str]:
    """Kafka topics, a ClickHouse server and a worker that has counted the whole demo history."""
    return demo_pipeline.env


@pytest.fixture(scope="module")
def report(loaded: dict[str, str]) -> DailyReport:
    client = clickhouse_connect.get_client(
        host="127.0.0.1", port=int(loaded["ATENCIONES_CLICKHOUSE_HTTP_PORT"]),
        username="writer", password=loaded["ATENCIONES_CLICKHOUSE_PASSWORD"],
    )  # fmt: skip
    return build_report(read_report_input(client, DAY), get_catalogs())


def by_label(rows: list[list[Any]], value: int = 1) -> dict[str, Any]:
    return {row[0]: row[value] for row in rows}


def names(
    codes: dict[str, int], catalog: dict[str, Any], attribute: str = "name"
) -> dict[str, int]:
    return {getattr(catalog[code], attribute): n for code, n in codes.items()}


def test_title_summary_and_year_to_date(report: DailyReport, seed: SeedFigures) -> None:
    c = get_catalogs()
    assert report.title == "Reporte diario de atención a usuarios al 08 de noviembre de 2024"
    summary = report.section("resumen")
    assert summary.title == "N° Atenciones del viernes 08 de noviembre: 462"
    offices = summary.table("oficinas_dia")
    assert by_label(offices.rows) == names(seed.offices_day, c.offices)
    counts = [row[1] for row in offices.rows]
    assert counts == sorted(counts, reverse=True)
    assert by_label(summary.table("canales_dia").rows) == names(seed.channels_day, c.channels)
    assert by_label(summary.table("tipos_dia").rows) == names(seed.case_types_day, c.case_types)
    assert summary.text == ["En lo que va del 2024... 123657 orientaciones"]
    assert report.synthetic and report.notes and report.data_up_to == "2024-11-08"


def test_frequent_cases_with_the_seeds_percentages(report: DailyReport, seed: SeedFigures) -> None:
    section = report.section("casos_frecuentes")
    operational = section.table("operacionales_dia")
    assert [row[0] for row in operational.rows] == [
        "Falta de agua en la zona", "Problemas con alcantarillado",
        "Falta de agua en conexión domiciliaria", "Aniego por rotura de tubería de agua",
        "Aniego por rotura de tubería de desagüe", "Otros",
    ]  # fmt: skip
    assert [row[1:] for row in operational.rows] == [
        [40, 37],
        [16, 15],
        [13, 12],
        [4, 4],
        [3, 3],
        [32, 30],
    ]
    assert operational.total == ["TOTAL", 108, 100]
    commercial = section.table("comerciales_dia")
    c = get_catalogs()
    assert by_label(commercial.rows) == names(seed.commercial_day, c.case_subtypes)
    assert [row[2] for row in commercial.rows] == [26, 22, 13, 7, 7, 5, 5, 5, 4, 2, 2, 0, 0]
    assert commercial.total == ["TOTAL", 273, 100]
    assert section.text == [
        "En lo que va de 2024... 37035 casos operacionales",
        "En lo que va de 2024... 63096 casos comerciales",
    ]


def test_relevant_cases_of_the_day(report: DailyReport) -> None:
    table = report.section("casos_relevantes").table("casos_relevantes")
    assert [row[0].split("\n")[0] for row in table.rows] == [
        "Piura / Talara / Pariñas", "Piura / Piura / Piura", "Ica / Nasca / Nasca",
        "Loreto / Maynas / Belén",
    ]  # fmt: skip
    assert [row[2] for row in table.rows] == ["PENDIENTE", "PENDIENTE", "FINALIZADO", "FINALIZADO"]
    nasca, loreto = table.rows[2][0].split("\n")[1], table.rows[3][0].split("\n")[1]
    assert nasca != loreto  # the seed's copy-paste error is not reproduced
    assert table.rows[0][0].endswith("(Redes Sociales)")
    assert table.rows[3][1].startswith("SUNASS, a través de su Oficina Desconcentrada (ODS) Loreto")


def test_the_demo_days_alert_is_the_talara_outage(report: DailyReport) -> None:
    """The day's EPS Grau water calls, clustered in Pariñas in the morning (demo/history.py),
    are the day's one alert, raised by the worker's detector while it counted the history."""
    rows = report.section("alertas").table("alertas_dia").rows
    assert [row[:3] for row in rows] == [["CERRADA", "EPS GRAU S.A.", "Piura / Talara / Pariñas"]]
    assert rows[0][3].startswith("08/11 ") and "(lo habitual: 0,10)" in rows[0][6]
    assert rows[0][7].startswith("Falta de agua en la zona")


def test_office_tables(report: DailyReport, seed: SeedFigures) -> None:
    c = get_catalogs()
    section = report.section("oficinas")
    by_type = section.table("oficina_tipo_dia")
    for row in by_type.rows:
        code = next(o.code for o in c.offices.values() if o.name == row[0])
        assert row[1:5] == [
            seed.office_type_day[code][t]
            for t in ("operacional", "comercial", "expediente_trass", "informacion_general")
        ]
        assert row[5:] == [seed.offices_day[code], seed.office_ytd[code]]
    assert by_type.total == ["TOTAL", 108, 273, 30, 51, 462, 123657]
    by_channel = section.table("oficina_canal_dia")
    assert by_channel.total[-2:] == [462, 123657]  # type: ignore[index]
    assert {row[0]: row[-2] for row in by_channel.rows} == names(seed.offices_day, c.offices)
    channel_totals = dict(zip(by_channel.columns[1:9], by_channel.total[1:9], strict=True))  # type: ignore[index]
    assert channel_totals == {c.channels[k].table_name: v for k, v in seed.channels_day.items()}


def test_provider_tables(report: DailyReport, seed: SeedFigures) -> None:
    c = get_catalogs()
    section = report.section("prestadores")
    eps = section.table("eps")
    types = ("operacional", "comercial", "expediente_trass", "informacion_general")
    for row, area in zip(eps.rows, c.provider_areas, strict=True):
        key = (area.code, area.region)
        assert row[3:7] == [seed.eps_day[key][t] for t in types]
        assert row[8] == seed.eps_ytd[key]
    assert eps.total == ["TOTAL", "", "", 107, 272, 30, 44, 453, 120177]
    sedapal = section.table("sedapal_distritos")
    assert sedapal.total == ["TOTAL", "", 16, 81, 14, 6, 117, 35815]
    assert len(sedapal.rows) == 25 and sedapal.rows[-1][1] == "Otros"
    assert sedapal.rows[-1][-1] == 5040  # the seed's 5,039 + the one its district rows miss
    outside = section.table("fuera_eps")
    assert [row[1:] for row in outside.rows] == [
        ["ZONAS RURALES", 0, 0, 0, 7, 7, 2613],
        ["PEQUEÑAS CIUDADES", 0, 0, 0, 0, 0, 597],
        ["OTRO ÁMBITO URBANO", 1, 1, 0, 0, 2, 270],
    ]
    assert outside.total == ["TOTAL", "", 1, 1, 0, 7, 9, 3480]


def test_evolution_sentences_and_previous_year(report: DailyReport, seed: SeedFigures) -> None:
    monthly = report.section("evolucion_mensual")
    assert monthly.text[0] == (
        "En octubre 2024 se evidencia un crecimiento del 11%, en relación a octubre 2023. "
        "En el acumulado del periodo enero - octubre 2024 se registró un crecimiento del 18% "
        "en comparación al 2023."
    )
    annual = report.section("evolucion_anual")
    assert [row[0] for row in annual.table("anual_tipos").rows] == [
        2018,
        2019,
        2020,
        2021,
        2022,
        2023,
    ]
    results = report.section("resultados_anterior")
    assert results.title == "Resultados 2023: N° Atenciones 2023: 123,493"
    c = get_catalogs()
    assert by_label(results.table("anio_canales").rows) == names(seed.channels_2023, c.channels)
    assert by_label(results.table("anio_tipos").rows) == names(
        seed.types_2023, c.case_types, "annual_name"
    )
    assert results.text == [
        "En relación con el año anterior, en el 2023 las orientaciones a usuarios crecieron "
        "en 27,845 (+29%)"
    ]
    offices = results.table("anio_oficina_canal")
    for row in offices.rows:
        code = next(o.code for o in c.offices.values() if o.name == row[0])
        assert row[1:9] == [
            seed.office_channel_2023[code][ch.code]
            for ch in sorted(c.channels.values(), key=lambda x: x.table_order)
        ]
        assert row[10] == seed.office_total_2022[code]
    assert offices.total == [
        "TOTAL",
        31330,
        77041,
        238,
        819,
        621,
        2922,
        6866,
        3656,
        123493,
        95648,
        29,
    ]
    assert results.table("anio_oficina_tipo").total == ["TOTAL", 36672, 62195, 7687, 16939, 123493]


def test_json_markdown_html_and_pdf(report: DailyReport, tmp_path: Path) -> None:
    document = json.loads(render(report, "json"))
    assert document["sections"][0]["tables"][0]["total"] == ["TOTAL", 462]
    markdown = render(report, "md").decode()
    assert "# Reporte diario de atención a usuarios al 08 de noviembre de 2024" in markdown
    html = render(report, "html").decode()
    assert html.count("<svg") == sum(len(s.charts) for s in report.sections) == 9
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    shot = tmp_path / "shot.png"
    result = subprocess.run(
        [find_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
         "--window-size=1200,2400", f"--screenshot={shot}", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-1000:]
    pixels = image.imread(shot)
    assert pixels.shape[0] >= 2000 and pixels.std() > 0.05  # a drawn page, not a blank one
    blue = ((pixels[..., 0] < 0.1) & (pixels[..., 1] > 0.3) & (pixels[..., 2] > 0.5)).sum()
    assert blue > 5000  # headings, table headers and the pie's first wedge
    pdf = render(report, "pdf")
    assert pdf.startswith(b"%PDF")
    (tmp_path / "report.pdf").write_bytes(pdf)
    info = subprocess.run(
        ["pdfinfo", str(tmp_path / "report.pdf")], capture_output=True, text=True, check=True
    )
    pages = int(
        next(line.split()[-1] for line in info.stdout.splitlines() if line.startswith("Pages"))
    )
    assert 6 <= pages <= 14


def test_cli_writes_the_report_and_refuses_bad_arguments(
    loaded: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in loaded.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        out = tmp_path / "r.json"
        assert main(["report", "--date", "2024-11-08", "--format", "json", "--out", str(out)]) == 0
        assert json.loads(out.read_text())["title"].endswith("08 de noviembre de 2024")
        assert (
            main(
                [
                    "report",
                    "--date",
                    "1999-01-01",
                    "--format",
                    "md",
                    "--out",
                    str(tmp_path / "x.md"),
                ]
            )
            == 1
        )
        assert "1999-01-01 is before 2015-01-01" in capsys.readouterr().err
        out = str(tmp_path / "y.md")
        assert main(["report", "--date", "2016-01-01", "--format", "md", "--out", out]) == 1
        assert "no attentions up to 2016-01-01" in capsys.readouterr().err
        with pytest.raises(SystemExit):
            main(["report", "--date", "08/11/2024"])
        assert "is not a date like 2024-11-08" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()
    assert (
        os.environ.get("ATENCIONES_CLICKHOUSE_HTTP_PORT")
        == loaded["ATENCIONES_CLICKHOUSE_HTTP_PORT"]
    )
