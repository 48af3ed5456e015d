"""Redaction of citizens' personal data in free text (relevant cases: summary, action, source,
province, district) before it is published or stored.

What is removed: e-mail addresses, also written to dodge filters ("juan[at]gmail.com",
"juan arroba gmail punto com"), Peruvian phone numbers (mobile 9XX XXX XXX with or without +51,
with spaces, dots or dashes between any digits; landlines with area code), DNI / carné numbers
(8 digits, or a number after "DNI", "CE", "carné", "documento"), and the name that follows a word
pointing at a private person ("Sr.", "Sra.", "don", "doña", "ciudadano/a", "usuario/a",
"vecino/a", "reclamante", "denunciante", "titular", "nombre:") in any case: "vecino JOSÉ
HUAMÁN", "ciudadano juan perez" (lower-case words count as a name when there are two to four of
them and none is a common Spanish word), unless the marker follows a place word ("Av. Don
Pedro", "AA.HH. Señor de los Milagros", "colegio Doña Rosa": a street or a school is no
citizen). Names of officials quoted in their role (as the seed's
"el coordinador de la EPS, Alfredo Rodríguez") are kept: they are not citizens' data and the
daily report cites them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_NAME_WORD = r"(?:[A-ZÁÉÍÓÚÑ][a-záéíóúñü]+|[A-ZÁÉÍÓÚÑÜ]{2,})"
_LOWER_WORD = r"[a-záéíóúñü]{2,}"
_MARKER = (
    r"(?i:\b(?:sr|sra|srta|señor|señora|señorita|don|doña|ciudadan[oa]|usuari[oa]|"
    r"vecin[oa]|reclamante|denunciante|titular|nombre)\b\.?:?\s+)"
    r"(?!Bosco\b)"  # places named after a "don" (Don Bosco, Breña) are not people
)
# Words that follow a marker without being a name ("el usuario solicitó que…").
# Words after which "Don X", "Señora de Y" names a street, a settlement or an institution.
_PLACE_BEFORE_MARKER = re.compile(
    r"(?i)\b(?:av|avda|avenida|jr|jir[oó]n|calle|ca|psje|pje|pasaje|prolongaci[oó]n|prol|"
    r"urb|urbanizaci[oó]n|aa\.?\s?hh|a\.?\s?h|asentamiento\s+humano|asoc|asociaci[oó]n|"
    r"coop|cooperativa|villa|barrio|sector|centro\s+poblado|c\.?\s?p|parque|plaza|mercado|"
    r"colegio|i\.?\s?e|instituci[oó]n\s+educativa|escuela|hospital|posta|puente|"
    r"reservorio|pozo|canal|caser[ií]o|anexo|comunidad|cerro|fundo|hacienda)\.?\s+$"
)
_NOT_NAMES = frozenset(
    " ".join(
        (
            "de del la las los el en que se y e a al con por para sin no ni su sus un una uno ha",
            "han he fue era es son está están estaba estaban había habían ser sido muy más menos",
            "ya también solo sólo aún como cuando donde quien quienes cual cuyo cuya este esta",
            "estos estas ese esa eso aquel mismo misma afectado afectada afectados afectadas",
            "indicó indica indicaron manifestó manifiesta manifestaron señaló señala reportó",
            "reporta reportaron solicitó solicita solicitaron pidió pide presentó presenta",
            "reclamó reclama denunció denuncia refirió refiere comunicó comunica llamó llama",
            "acudió acude informó informa precisó precisa sostuvo sostiene agregó agrega declaró",
            "declara expresó expresa mencionó menciona envió envía adjuntó adjunta realizó",
            "realiza registró registra recibió recibe tiene tenía tuvo puede podía pudo debe",
            "debía quiere quería cuenta contaba vive vivía reside residía hace hizo sigue seguía",
            "sus del sector zona calle avenida jirón pasaje manzana lote urbanización",
            "asentamiento humano centro poblado distrito provincia región local domicilio",
            "vivienda predio suministro servicio agua desagüe alcantarillado presión reclamo",
            "queja caso",
        )
    ).split()
)
_PATTERNS: list[tuple[str, re.Pattern[str], str]] = [
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[correo]"),
    (
        "email",
        re.compile(
            r"(?i)[\w.+-]+\s*(?:\[\s*(?:at|arroba)\s*\]|\(\s*(?:at|arroba)\s*\)|"
            r"\{\s*(?:at|arroba)\s*\}|\s@\s|@\s|\s@|\barroba\b)\s*[\w-]+"
            r"(?:\s*(?:\.|\[\s*(?:dot|punto)\s*\]|\(\s*(?:dot|punto)\s*\)|\s(?:dot|punto)\s)"
            r"\s*[\w-]+)+"
        ),
        "[correo]",
    ),
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
        re.compile(r"(?<!\d)(?<!\d\.)(?:\+?51[\s.-]?)?9(?:[\s.-]?\d){8}(?!\d|\.\d)"),
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
            _MARKER + rf"((?:{_NAME_WORD})(?:\s+(?:de\s+(?:la\s+|los\s+)?)?{_NAME_WORD}){{0,3}})"
        ),
        "[nombre]",
    ),
    ("lower_name", re.compile(_MARKER + rf"((?:{_LOWER_WORD})(?:\s+{_LOWER_WORD}){{1,3}})"), ""),
]


@dataclass(frozen=True)
class Redaction:
    text: str
    found: Counter[str] = field(default_factory=Counter)  # kind -> occurrences removed


def redact(text: str) -> Redaction:
    found: Counter[str] = Counter()
    for kind, pattern, replacement in _PATTERNS:

        def replace(match: re.Match[str], kind: str = kind, replacement: str = replacement) -> str:
            if kind in ("name", "lower_name") and _names_a_place(match):
                return match.group(0)
            if kind == "lower_name":
                return _lower_name(match, found)
            found[kind] += 1
            if match.lastindex:  # keep the pointing word ("la usuaria"), drop the name
                start = match.start(1) - match.start()
                return match.group(0)[:start] + replacement
            return replacement

        text = pattern.sub(replace, text)
    return Redaction(text, found)


def _names_a_place(match: re.Match[str]) -> bool:
    before = match.string[max(0, match.start() - 40) : match.start()]
    return _PLACE_BEFORE_MARKER.search(before) is not None


def _lower_name(match: re.Match[str], found: Counter[str]) -> str:
    """A marker followed by lower-case words: the longest run of two to four words that are
    not common Spanish words is a name; anything else is ordinary text, kept."""
    words = match.group(1).split()
    run = 0
    while run < len(words) and words[run].lower() not in _NOT_NAMES:
        run += 1
    if run < 2:
        return match.group(0)
    found["name"] += 1
    prefix = match.group(0)[: match.start(1) - match.start()]
    rest = " ".join(words[run:])
    return prefix + "[nombre]" + (" " + rest if rest else "")
