"""Redaction of citizens' personal data in free text (relevant cases: summary, action, source,
province, district) before it is published or stored.

What is removed: e-mail addresses, Peruvian phone numbers (mobile 9XX XXX XXX with or without
+51, landlines with area code), DNI / carné numbers (8 digits, or a number after "DNI", "CE",
"carné", "documento"), and the name that follows a word pointing at a private person
("Sr.", "Sra.", "don", "doña", "ciudadano/a", "usuario/a", "vecino/a", "reclamante",
"denunciante", "titular", "nombre:"). Names of officials quoted in their role (as the seed's
"el coordinador de la EPS, Alfredo Rodríguez") are kept: they are not citizens' data and the
daily report cites them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_NAME_WORD = r"[A-ZÁÉÍÓÚÑ][a-záéíóúñü]+"
_PATTERNS: list[tuple[str, re.Pattern[str], str]] = [
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[correo]"),
    (
        "document",
        re.compile(
            r"(?i)(?<=\b)(?:DNI|D\.N\.I\.|CE|carn[eé]t?(?: de extranjer[ií]a)?|documento)"
            r"(?:\s*(?:N[°º.o]?|n[uú]mero|nro\.?))?\s*:?\s*\d[\d\s.-]{5,12}\d"
        ),
        "[documento]",
    ),
    (
        "phone",
        re.compile(r"(?<!\d)(?<!\d\.)(?:\+?51[\s-]?)?9\d{2}[\s-]?\d{3}[\s-]?\d{3}(?!\d|\.\d)"),
        "[teléfono]",
    ),
    (
        "phone",
        re.compile(r"(?<!\d)(?<!\d\.)\(?0\d{1,2}\)?[\s-]?\d{3}[\s-]?\d{3,4}(?!\d|\.\d)"),
        "[teléfono]",
    ),
    ("document", re.compile(r"(?<!\d)(?<!\d\.)\d{8}(?!\d|\.\d)"), "[documento]"),
    (
        "name",
        re.compile(
            r"(?i:\b(?:sr|sra|srta|señor|señora|señorita|don|doña|ciudadan[oa]|usuari[oa]|"
            r"vecin[oa]|reclamante|denunciante|titular|nombre)\b\.?:?\s+)"
            rf"((?:{_NAME_WORD})(?:\s+(?:de\s+(?:la\s+|los\s+)?)?{_NAME_WORD}){{0,3}})"
        ),
        "[nombre]",
    ),
]


@dataclass(frozen=True)
class Redaction:
    text: str
    found: Counter[str] = field(default_factory=Counter)  # kind -> occurrences removed


def redact(text: str) -> Redaction:
    found: Counter[str] = Counter()
    for kind, pattern, replacement in _PATTERNS:

        def replace(match: re.Match[str], kind: str = kind, replacement: str = replacement) -> str:
            found[kind] += 1
            if match.lastindex:  # keep the pointing word ("la usuaria"), drop the name
                start = match.start(1) - match.start()
                return match.group(0)[:start] + replacement
            return replacement

        text = pattern.sub(replace, text)
    return Redaction(text, found)
