"""Demo and synthetic data: deterministic, valid, and loaded once."""

from __future__ import annotations

import phonenumbers
import pytest
from django.core.management import call_command

from clientela.contacts.models import Company, Consent, Contact
from clientela.contacts.normalize import normalize_email
from clientela.demo.seeding import contact_rows, demo_loaded, load_demo, seed_contacts

pytestmark = pytest.mark.django_db


def test_it_generates_the_same_rows_for_the_same_seed():
    assert list(contact_rows(50, 7)) == list(contact_rows(50, 7))
    assert list(contact_rows(50, 7)) != list(contact_rows(50, 8))


def test_it_generates_valid_colombian_phones_and_emails():
    for row in contact_rows(500, 3):
        assert row["email"] or row["phone"]
        if row["phone"]:
            number = phonenumbers.parse(row["phone"])
            assert phonenumbers.is_valid_number(number), row["phone"]
            assert phonenumbers.region_code_for_number(number) == "CO"
        if row["email"]:
            assert normalize_email(row["email"]) == row["email"]


def test_it_seeds_contacts_with_companies_tags_and_consents():
    created = seed_contacts(300, seed=5, batch_size=120)
    assert created == 300
    assert Contact.objects.count() == 300
    assert Company.objects.exists()
    assert Consent.objects.filter(status="granted").exists()
    assert Contact.objects.filter(tags__isnull=False).exists()
    assert not Contact.objects.filter(search_text="").exists()


def test_it_loads_the_demo_only_once():
    assert load_demo(contacts=120) > 0
    assert demo_loaded()
    count = Contact.objects.count()
    assert load_demo(contacts=120) == 0
    assert Contact.objects.count() == count
    # The demo has duplicates to find and merge.
    emails = list(Contact.objects.exclude(email="").values_list("email", flat=True))
    assert len(emails) > len(set(emails))


def test_it_seeds_from_the_command_line(capsys):
    call_command("seed", contacts=50, seed=9)
    assert "Created 50 contacts" in capsys.readouterr().out
    assert Contact.objects.count() == 50
