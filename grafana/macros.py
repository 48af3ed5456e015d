"""What Grafana and the ClickHouse plugin do to a panel's SQL before ClickHouse sees it.

1. Grafana interpolates template variables (`$name`, `${name}`, `${name:format}`, `[[name]]`);
   a variable set to "All" with a custom all value is replaced by that value as it is, without
   format (Grafana's templateSrv). Only the formats the boards use are implemented.
2. The plugin (pkg/macros/macros.go of grafana-clickhouse-datasource, through grafana/sqlds)
   replaces its macros, with the time range in UTC seconds.
Used by the tests (every panel runs on a real ClickHouse) and by the preview.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

ALL = object()  # a variable's "All" option
VariableValue = str | Sequence[str] | object

_VARIABLE = re.compile(
    r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}"
)


class MacroError(ValueError):
    """A macro or variable the plugin would reject (bad arguments, unsupported format)."""


def _singlequote(value: str) -> str:
    return "'" + value.replace("'", "\\'") + "'"


def _sqlstring(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_FORMATS: dict[str, Callable[[str], str]] = {"singlequote": _singlequote, "sqlstring": _sqlstring}


@dataclass(frozen=True)
class Variables:
    values: Mapping[str, VariableValue]
    all_values: Mapping[str, str] = field(default_factory=dict)  # custom "All" values

    def format(self, name: str, fmt: str | None) -> str | None:
        if name not in self.values:
            return None  # not a variable: Grafana leaves it (plugin macros start with $__)
        value = self.values[name]
        if value is ALL:
            if name not in self.all_values:
                raise MacroError(f"variable {name} is All but has no custom all value")
            return self.all_values[name]
        items = [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]
        if fmt is None:
            return ",".join(items)
        if fmt not in _FORMATS:
            raise MacroError(f"variable format {fmt!r} is not supported here")
        return ",".join(_FORMATS[fmt](item) for item in items)


def interpolate(sql: str, variables: Variables) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(4)
        fmt = match.group(3) or match.group(6)
        text = variables.format(name, fmt)
        return match.group(0) if text is None else text

    return _VARIABLE.sub(replace, sql)


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime
    interval_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a time range needs timezone-aware instants")


def _date(t: datetime) -> str:
    return f"toDate('{t.astimezone(UTC):%Y-%m-%d}')"


def _datetime(t: datetime) -> str:
    return f"toDateTime({int(t.timestamp())})"


def _datetime64(t: datetime) -> str:
    return f"fromUnixTimestamp64Milli({int(t.timestamp() * 1000)})"


def _between(column: str, low: str, high: str) -> str:
    return f"{column} >= {low} AND {column} <= {high}"


def _one(name: str, args: list[str]) -> str:
    if len(args) != 1:
        raise MacroError(f"$__{name}: expected 1 argument, received {len(args)}")
    return args[0]


def _macro(name: str, args: list[str], time: TimeRange) -> str:
    start, end = time.start, time.end
    seconds = int(max(time.interval_seconds, 1))
    if name == "fromTime":
        return _datetime(start)
    if name == "toTime":
        return _datetime(end)
    if name == "fromTime_ms":
        return _datetime64(start)
    if name == "toTime_ms":
        return _datetime64(end)
    if name == "timeFilter":
        return _between(_one(name, args), _datetime(start), _datetime(end))
    if name == "timeFilter_ms":
        return _between(_one(name, args), _datetime64(start), _datetime64(end))
    if name == "dateFilter":
        return _between(_one(name, args), _date(start), _date(end))
    if name in ("dateTimeFilter", "dt"):
        if len(args) != 2:
            raise MacroError(f"$__{name}: expected 2 arguments, received {len(args)}")
        return (
            f"({_between(args[0], _date(start), _date(end))}) AND "
            f"({_between(args[1], _datetime(start), _datetime(end))})"
        )
    if name == "timeInterval":
        return f"toStartOfInterval(toDateTime({_one(name, args)}), INTERVAL {seconds} second)"
    if name == "timeInterval_ms":
        millis = int(max(math.floor(time.interval_seconds * 1000), 1))
        column = _one(name, args)
        return f"toStartOfInterval(toDateTime64({column}, 3), INTERVAL {millis} millisecond)"
    if name == "interval_s":
        return str(seconds)
    raise MacroError(f"unknown macro $__{name}")


_MACRO = re.compile(r"\$__(\w+)")


def _arguments(sql: str, start: int) -> tuple[list[str], int]:
    """Arguments of a macro call whose '(' is at sql[start]; returns them and the end index."""
    depth, current, args = 0, "", []
    for index in range(start, len(sql)):
        char = sql[index]
        if char == "(":
            depth += 1
            if depth == 1:
                continue
        elif char == ")":
            depth -= 1
            if depth == 0:
                args.append(current.strip())
                return [a for a in args if a], index + 1
        elif char == "," and depth == 1:
            args.append(current.strip())
            current = ""
            continue
        current += char
    raise MacroError("a macro's parenthesis is not closed")


def expand_macros(sql: str, time: TimeRange) -> str:
    out, position = [], 0
    for match in _MACRO.finditer(sql):
        if match.start() < position:
            continue  # inside the arguments of a macro already expanded
        out.append(sql[position : match.start()])
        name, end = match.group(1), match.end()
        args: list[str] = []
        if end < len(sql) and sql[end] == "(":
            args, end = _arguments(sql, end)
        out.append(_macro(name, args, time))
        position = end
    out.append(sql[position:])
    return "".join(out)


def render(sql: str, variables: Variables, time: TimeRange) -> str:
    """The SQL ClickHouse receives for a panel."""
    return expand_macros(interpolate(sql, variables), time)
