"""Presets, header detection and row cleaning (pure: no database writes)."""

from __future__ import annotations

from datetime import date

import pytest

from clientela.contacts.importing.presets import detect_preset, header_key, suggest_mapping
from clientela.contacts.importing.rows import CustomSpec, RowPlan, clean_row, split_tags

HUBSPOT = [
    "Record ID", "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number",
    "Company Name", "Job Title", "City", "Country/Region", "Lifecycle Stage", "Lead Status",
    "Contact owner", "Original Source", "Create Date", "Marketing contact status",
]  # fmt: skip
BITRIX_ES = [
    "ID", "Nombre", "Segundo nombre", "Apellido", "Fecha de nacimiento", "Cargo",
    "Teléfono móvil", "Teléfono de trabajo", "E-mail de trabajo", "E-mail privado", "Compañía",
    "Fuente", "Responsable", "Ciudad", "País", "Comentario", "Creado",
]  # fmt: skip
BITRIX_EN = [
    "ID", "First name", "Second name", "Last name", "Date of birth", "Position", "Mobile phone",
    "Work phone", "Work e-mail", "Home e-mail", "Company", "Source", "Responsible person",
    "City", "Country", "Comment", "Created on",
]  # fmt: skip
SPANISH = ["NOMBRE", "apellidos", "Correo electrónico", "Celular", "WhatsApp", "empresa",
           "ciudad", "Cumpleaños", "etiquetas", "fuente", "cargo", "utm_source"]  # fmt: skip
PRESUPUESTO = CustomSpec("presupuesto", "Presupuesto", "number")


def plan(mapping: dict[str, str], **custom: CustomSpec) -> RowPlan:
    return RowPlan.build(mapping, dict(custom), region="CO", time_zone="America/Bogota")


@pytest.mark.parametrize(
    ("headers", "preset"),
    [(HUBSPOT, "hubspot"), (BITRIX_ES, "bitrix24"), (BITRIX_EN, "bitrix24"), (SPANISH, "spanish")],
)
def test_it_detects_the_preset_from_the_header_row(headers, preset):
    assert detect_preset(headers).preset == preset


def test_it_maps_hubspot_and_bitrix24_columns():
    hub = suggest_mapping(HUBSPOT, "hubspot", {})
    assert hub["Country/Region"] == "country"
    assert hub["Contact owner"] == "owner"
    assert hub["Record ID"] == "external_id"
    assert hub["Marketing contact status"] == ""
    bitrix = suggest_mapping(BITRIX_ES, "bitrix24", {})
    assert bitrix["Segundo nombre"] == "middle_name"
    assert bitrix["Teléfono móvil"] == bitrix["Teléfono de trabajo"] == "phone"
    assert bitrix["E-mail de trabajo"] == bitrix["E-mail privado"] == "email"
    assert bitrix["Responsable"] == "owner"
    assert bitrix["Comentario"] == "note"


def test_it_matches_spanish_headers_ignoring_case_accents_and_punctuation():
    mapping = suggest_mapping(SPANISH, "spanish", {"presupuesto": PRESUPUESTO})
    assert mapping == {
        "NOMBRE": "first_name", "apellidos": "last_name", "Correo electrónico": "email",
        "Celular": "phone", "WhatsApp": "phone", "empresa": "company", "ciudad": "city",
        "Cumpleaños": "birthday", "etiquetas": "tags", "fuente": "source", "cargo": "job_title",
        "utm_source": "first_utm_source",
    }  # fmt: skip
    assert header_key(" E-MAIL de  Trabajo ") == header_key("email de trabajo")


def test_it_maps_custom_fields_by_label_or_key():
    specs = {
        "presupuesto": PRESUPUESTO,
        "canal_preferido": CustomSpec("canal_preferido", "Canal", "text"),
    }
    mapping = suggest_mapping(["Nombre", "PRESUPUESTO", "canal_preferido"], "spanish", specs)
    assert mapping["PRESUPUESTO"] == "custom.presupuesto"
    assert mapping["canal_preferido"] == "custom.canal_preferido"


def test_it_reads_spanish_dates_excel_serials_and_decimal_commas():
    p = plan(
        {"n": "first_name", "c": "birthday", "p": "custom.presupuesto"}, presupuesto=PRESUPUESTO
    )
    row = clean_row(p, 2, {"n": "Ana", "c": "05/11/1990", "p": "1.250.000,50"})
    assert row.ok and row.values["birthday"] == date(1990, 11, 5)
    assert row.custom == {"presupuesto": 1250000.5}
    serial = clean_row(p, 3, {"n": "Ana", "c": "33000", "p": "12,5"})
    assert serial.values["birthday"] == date(1990, 5, 7) and serial.custom == {"presupuesto": 12.5}
    bad = clean_row(p, 4, {"n": "Ana", "c": "31/02/1990", "p": "mucho"})
    assert [column for column, _reason in bad.errors] == ["c", "p"]
    future = clean_row(p, 5, {"n": "Ana", "c": "01/01/2999", "p": ""})
    assert [column for column, _reason in future.errors] == ["c"]


def test_it_maps_lifecycle_lead_status_and_source_labels():
    p = plan({"s": "lifecycle_stage", "l": "lead_status", "f": "source", "n": "first_name"})
    cases = [
        ("Cliente", "Nuevo", "Facebook", ("customer", "new", "facebook")),
        ("Prospecto", "Attempted to Contact", "Google Ads", ("lead", "attempted", "google_ads")),
        (
            "Marketing Qualified Lead",
            "Open Deal",
            "Organic Search",
            ("mql", "qualified", "website"),
        ),
        ("OPORTUNIDAD", "contactado", "Recomendación", ("opportunity", "connected", "referral")),
        ("customer", "nurturing", "whatsapp", ("customer", "nurturing", "whatsapp")),
    ]
    for stage, status, source, expected in cases:
        row = clean_row(p, 2, {"s": stage, "l": status, "f": source, "n": "Ana"})
        assert row.ok, row.errors
        assert (
            row.values["lifecycle_stage"],
            row.values["lead_status"],
            row.values["source"],
        ) == expected
    other = clean_row(p, 3, {"s": "Proveedor", "l": "", "f": "Expo Inmobiliaria", "n": "Ana"})
    assert other.ok and "lifecycle_stage" not in other.values
    assert other.values["source"] == "other"
    assert other.warnings == [("unknown_source", "Expo Inmobiliaria")]
    bad = clean_row(p, 4, {"s": "Estrella", "l": "Confuso", "f": "", "n": "Ana"})
    assert [column for column, _reason in bad.errors] == ["s", "l"]


def test_it_prefers_the_first_usable_email_and_phone_column():
    p = plan({"m": "phone", "w": "phone", "e1": "email", "e2": "email", "n": "first_name"})
    row = clean_row(
        p, 2, {"m": "", "w": "601 345 6789", "e1": "", "e2": "ana@gmail.com", "n": "Ana"}
    )
    assert row.values["phone"] == "+576013456789" and row.values["email"] == "ana@gmail.com"
    assert row.key == ("e", "ana@gmail.com", "")
    fallback = clean_row(
        p, 3, {"m": "12", "w": "300 123 4567", "e1": "x", "e2": "b@x.co", "n": "B"}
    )
    assert fallback.ok and fallback.values["phone"] == "+573001234567"
    none = clean_row(p, 4, {"m": "12", "w": "", "e1": "", "e2": "", "n": "C"})
    assert none.errors and none.errors[0][0] == "m"


def test_it_joins_middle_names_and_splits_full_names():
    p = plan({"f": "first_name", "m": "middle_name", "l": "last_name", "full": "full_name"})
    row = clean_row(p, 2, {"f": "María", "m": "José", "l": "Gómez", "full": "ignored"})
    assert (row.values["first_name"], row.values["last_name"]) == ("María José", "Gómez")
    split = clean_row(p, 3, {"f": "", "m": "", "l": "", "full": "  Juan   Pérez Gómez "})
    assert (split.values["first_name"], split.values["last_name"]) == ("Juan", "Pérez Gómez")


def test_it_uses_the_country_for_phones_and_knows_country_names():
    p = plan({"n": "first_name", "t": "phone", "c": "country", "lang": "language"})
    row = clean_row(p, 2, {"n": "Laura", "t": "55 1234 5678", "c": "México", "lang": "Español"})
    assert row.values["country"] == "MX" and row.values["phone"] == "+525512345678"
    assert row.values["language"] == "es"
    bad = clean_row(p, 3, {"n": "X", "t": "", "c": "Narnia", "lang": "klingon"})
    assert [column for column, _reason in bad.errors] == ["c", "lang"]


def test_it_needs_a_name_email_or_phone_and_builds_dedupe_keys():
    p = plan({"n": "first_name", "l": "last_name", "e": "company", "ci": "city"})
    empty = clean_row(p, 2, {"n": "", "l": "", "e": "Acme", "ci": "Cali"})
    assert empty.errors == [("", empty.errors[0][1])]
    named = clean_row(p, 3, {"n": "José", "l": "PÉREZ", "e": "Ácme  S.A.", "ci": ""})
    assert named.key == ("n", "jose perez", "acme s.a.")


def test_it_splits_tags_on_commas_and_semicolons():
    assert split_tags("VIP; feria 2025, vip ,, Inversionista ") == [
        "VIP",
        "feria 2025",
        "Inversionista",
    ]


def test_it_rejects_text_longer_than_the_field():
    p = plan({"n": "first_name", "j": "job_title"})
    row = clean_row(p, 2, {"n": "Ana", "j": "x" * 121})
    assert [column for column, _reason in row.errors] == ["j"]


def test_it_builds_the_same_search_text_as_the_services():
    from clientela.contacts.normalize import search_key

    p = plan({"n": "first_name", "l": "last_name", "e": "email", "t": "phone"})
    for first, last, email in [
        ("José", "Pérez", "Jose@X.co"),
        ("ANA", "", ""),
        ("", "Ñandú", "b@c.co"),
    ]:
        row = clean_row(p, 2, {"n": first, "l": last, "e": email, "t": "300 123 4567"})
        v = row.values
        expected = search_key(
            v.get("first_name", ""), v.get("last_name", ""), v.get("email", ""), v.get("phone", "")
        )
        assert row.search_text == expected
