"""`python -m demo.summary`: the demo day by case type and the year to date, from ClickHouse
(the settings' host, port and user: what `make demo` prints at the end)."""

from __future__ import annotations

import sys

from clickhouse.client import connect
from foundation.errors import one_line_error
from foundation.settings import get_settings

DAY = "2024-11-08"


def main() -> int:
    settings = get_settings()
    try:
        client = connect(settings)
        rows = client.query(
            "SELECT case_type, sum(attentions) AS n FROM atenciones.daily_counts "
            "WHERE day = {day:Date} GROUP BY case_type ORDER BY n DESC",
            parameters={"day": DAY},
        ).result_rows
        year = client.query(
            "SELECT sum(attentions) FROM atenciones.daily_counts "
            "WHERE day BETWEEN toStartOfYear({day:Date}) AND {day:Date}",
            parameters={"day": DAY},
        ).result_rows[0][0]
        client.close()
    except Exception as exc:
        print(f"error: {one_line_error(exc, settings)}", file=sys.stderr)
        return 1
    print(f"{DAY} by case type (SYNTHETIC DEMO DATA):")
    for case_type, count in rows:
        print(f"  {case_type:<15} {count:>6}")
    print(f"  {'TOTAL':<15} {sum(n for _, n in rows):>6}")
    print(f"2024 up to {DAY}: {year}")
    url = f"http://{settings.clickhouse_host}:{settings.clickhouse_http_port}"
    print(
        f"SQL page: {url}/play · worker health: http://127.0.0.1:{settings.worker_web_port}/health"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
