"""Charts of the report drawn with matplotlib as inline SVG (the page works offline)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from reports.model import Chart

PALETTE = ("#005b96", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f")
plt.rcParams.update({"font.size": 9, "svg.fonttype": "none", "axes.spines.top": False,
                     "axes.spines.right": False})  # fmt: skip


def chart_svg(chart: Chart) -> str:
    """The chart as an <svg> element."""
    figure = _pie(chart) if chart.kind == "pie" else _bars(chart)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def _pie(chart: Chart) -> plt.Figure:
    values = next(iter(chart.series.values()))
    pairs = [(label, value) for label, value in zip(chart.labels, values, strict=True) if value > 0]
    figure, axes = plt.subplots(figsize=(5.2, 2.8))
    total = sum(v for _, v in pairs) or 1
    wedges, *_ = axes.pie(
        [v for _, v in pairs], colors=PALETTE[: len(pairs)], startangle=90, counterclock=False,
        wedgeprops={"linewidth": 1, "edgecolor": "white"},
    )  # fmt: skip
    axes.legend(
        wedges,
        [f"{label}: {value} ({round(100 * value / total)}%)" for label, value in pairs],
        loc="center left", bbox_to_anchor=(1, 0.5), frameon=False,
    )  # fmt: skip
    axes.set_title(chart.title)
    axes.axis("equal")
    return figure


def _bars(chart: Chart) -> plt.Figure:
    figure, axes = plt.subplots(figsize=(7.5, 3.0))
    count = max(len(chart.series), 1)
    width = 0.8 / count
    for index, (name, values) in enumerate(chart.series.items()):
        positions = [i + (index - (count - 1) / 2) * width for i in range(len(chart.labels))]
        axes.bar(positions, values, width=width, label=name, color=PALETTE[index % len(PALETTE)])
    axes.set_xticks(range(len(chart.labels)), chart.labels, rotation=0)
    axes.set_title(chart.title)
    if axes.get_legend_handles_labels()[0]:  # an empty chart (no month yet): nothing to label
        axes.legend(
            frameon=False, ncols=min(count, 4), loc="upper center", bbox_to_anchor=(0.5, -0.12)
        )
    axes.yaxis.grid(True, color="#dddddd")
    axes.set_axisbelow(True)
    return figure
