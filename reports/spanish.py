"""Spanish wording of dates, numbers and percentages, as the hand-made report writes them."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
    "octubre", "noviembre", "diciembre",
)  # fmt: skip


def long_day(day: date) -> str:
    """'viernes 08 de noviembre'."""
    return f"{WEEKDAYS[day.weekday()]} {day.day:02d} de {MONTHS[day.month - 1]}"


def day_month_year(day: date) -> str:
    """'08 de noviembre de 2024'."""
    return f"{day.day:02d} de {MONTHS[day.month - 1]} de {day.year}"


def month_year(year: int, month: int) -> str:
    """'octubre 2024'."""
    return f"{MONTHS[month - 1]} {year}"


def percent(part: int, whole: int) -> int:
    """Whole percent, halves rounded up (as the seed rounds each row; rows may not add to 100)."""
    if whole == 0:
        return 0
    return int((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def thousands(number: int) -> str:
    """'123,493' (the seed separates thousands with a comma in its sentences)."""
    return f"{number:,}"


def growth_sentence_word(change: int) -> str:
    return "crecimiento" if change >= 0 else "disminución"
