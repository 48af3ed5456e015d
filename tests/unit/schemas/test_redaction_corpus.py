"""Redaction on a corpus of realistic Spanish phrasings from ODS case write-ups: the personal
data goes, everything else (officials named by role, places, figures, dates) stays word for word."""

from __future__ import annotations

import pytest

from schemas.personal_data import redact

# (text, fragments that must be gone)
WITH_PERSONAL_DATA = [
    ("La usuaria María Quispe Huamán reportó falta de agua.", ["María", "Quispe", "Huamán"]),
    ("El vecino JOSÉ HUAMÁN denunció un aniego en su calle.", ["JOSÉ", "HUAMÁN"]),
    ("El ciudadano juan perez llamó al fono Sunass.", ["juan perez"]),
    ("la ciudadana rosa maría flores pidió información", ["rosa maría flores"]),
    ("Sr. Carlos Mendoza solicita inspección del medidor.", ["Carlos", "Mendoza"]),
    ("Sra. Ana de la Cruz indica cobro excesivo.", ["Ana de la Cruz"]),
    ("Don Eusebio Ramos vive en la zona afectada.", ["Eusebio", "Ramos"]),
    ("Doña Petronila Ccori pidió cisterna.", ["Petronila", "Ccori"]),
    ("El reclamante Luis Alberto Torres Vega adjuntó fotos.", ["Luis Alberto Torres Vega"]),
    ("Denunciante: Jorge Salas.", ["Jorge Salas"]),
    ("Nombre: Elena Paucar", ["Elena Paucar"]),
    ("titular PEDRO CASTILLO TERRONES", ["PEDRO CASTILLO TERRONES"]),
    ("La usuaria con DNI 45678912 reclama.", ["45678912"]),
    ("DNI N° 4567 8912 de la titular.", ["4567 8912"]),
    ("Carné de extranjería 001234567 del usuario.", ["001234567"]),
    ("Documento: 7123-4567", ["7123-4567"]),
    ("Se comunicó al 987654321 sin respuesta.", ["987654321"]),
    ("Celular 987 654 321 de contacto.", ["987 654 321"]),
    ("Teléfono +51 987-654-321.", ["987-654-321"]),
    ("llamar al 9 8 7 6 5 4 3 2 1", ["9 8 7 6 5 4 3 2 1"]),
    ("contacto 987.654.321", ["987.654.321"]),
    ("Fijo (01) 456-7890 del local.", ["456-7890"]),
    ("Escribió desde maria.quispe@gmail.com", ["maria.quispe@gmail.com"]),
    ("correo juan[at]gmail.com para respuesta", ["juan[at]gmail.com", "juan"]),
    ("correo juan (at) hotmail (dot) com", ["hotmail"]),
    ("su correo es rosa arroba yahoo punto es", ["yahoo"]),
    ("Email: luis @ outlook.com", ["outlook.com"]),
    ("El usuario Martín Vizcarra de la Mz. B solicitó atención.", ["Martín Vizcarra"]),
    ("La vecina Teodora Mamani y su familia sin agua.", ["Teodora", "Mamani"]),
    ("Señora Julia Ccahuana, DNI 40123456, 951 234 567.", ["Julia", "40123456", "951 234 567"]),
    ("Vecinos de la Av. Grau: don Mario Pinto pidió cisterna.", ["Mario", "Pinto"]),
]

# Ordinary write-ups: nothing to remove, kept as written.
WITHOUT_PERSONAL_DATA = [
    "Corte del servicio de agua potable en Talara por rotura de tubería matriz.",
    "El coordinador de la EPS, Alfredo Rodríguez, informó que la reparación concluye hoy.",
    "El gerente general de Sedapal, en reunión con la ODS Lima, se comprometió a enviar cisternas.",
    "La usuaria solicitó la revisión de su recibo de octubre.",
    "El usuario indicó que la presión es baja desde el lunes.",
    "Los vecinos afectados del AA.HH. Los Jardines recibieron agua en cisternas.",
    "La ciudadana manifestó su disconformidad con el cobro.",
    "El vecino reportó un aniego en la Av. Grau cuadra 5.",
    "Se atendió a 120 usuarios en la campaña de Nasca.",
    "Inspección conjunta con EPS Grau en Paita el 08/11/2024 a las 10:30.",
    "Sunass supervisó el cumplimiento de la continuidad del servicio en Belén, Iquitos.",
    "La titular del suministro presentó reclamo por consumo elevado.",
    "Don Bosco, en el distrito de Breña, sin servicio por mantenimiento de reservorio.",
    "El monto facturado fue de S/ 1,250.50 en el mes de setiembre.",
    "Se registraron 462 atenciones el 08 de noviembre de 2024.",
    "La ODS Piura coordinó con el alcalde de Sullana la entrega de agua.",
    "Falta de agua en San Juan de Lurigancho, sector 5, desde las 06:00 horas.",
    "El Señor de los Milagros recorrió la avenida sin afectar el servicio.",
    "Usuarios de Villa El Salvador reportan agua turbia.",
    "Reclamo N° 2024-000123 derivado a la EPS para su atención.",
    "El ciudadano fue orientado sobre el procedimiento de reclamos.",
    "Presión baja en el Jr. Junín, Cercado de Lima; la EPS programó purga de redes.",
    "Aniego en la Av. Don Pedro de Osma, Barranco.",
    "Sin agua en el AA.HH. Señor de los Milagros desde el martes.",
    "El colegio Doña Rosa Arana quedó sin servicio por rotura de matriz.",
    "Cisternas en la Urb. Don Carlos y el Jr. Doña Juana de Arco.",
]


@pytest.mark.parametrize(("text", "gone"), WITH_PERSONAL_DATA, ids=range(len(WITH_PERSONAL_DATA)))
def test_personal_data_is_removed(text: str, gone: list[str]) -> None:
    redacted = redact(text)
    for fragment in gone:
        assert fragment not in redacted.text, (text, redacted.text)
    assert redacted.found, text
    assert "[" in redacted.text


@pytest.mark.parametrize("text", WITHOUT_PERSONAL_DATA, ids=range(len(WITHOUT_PERSONAL_DATA)))
def test_ordinary_text_is_kept_word_for_word(text: str) -> None:
    assert redact(text).text == text


def test_the_corpus_is_large_enough() -> None:
    assert len(WITH_PERSONAL_DATA) + len(WITHOUT_PERSONAL_DATA) >= 50
