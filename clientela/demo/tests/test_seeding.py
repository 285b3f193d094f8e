"""Demo and synthetic data: deterministic, valid, and loaded once."""

from __future__ import annotations

import phonenumbers
import pytest
from django.core.management import call_command

from clientela.contacts.models import Company, Consent, Contact
from clientela.contacts.normalize import normalize_email
from clientela.demo.seeding import (
    contact_rows,
    demo_loaded,
    ensure_structure,
    load_demo,
    seed_contacts,
)

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


def test_it_dates_nothing_of_the_demo_before_its_contact_existed():
    from django.db.models import F

    from clientela.orders.models import Order
    from clientela.timeline.models import Event

    assert load_demo(contacts=300) > 0
    assert Order.objects.exists() and Event.objects.filter(contact__isnull=False).exists()
    assert not Order.objects.filter(ordered_at__lt=F("contact__created_at")).exists()
    assert not Order.objects.filter(created_at__lt=F("contact__created_at")).exists()
    assert not Consent.objects.filter(recorded_at__lt=F("contact__created_at")).exists()
    assert not Event.objects.filter(created_at__lt=F("contact__created_at")).exists()
    assert not Contact.objects.filter(first_touch_at__lt=F("created_at")).exists()
    assert not Contact.objects.filter(last_touch_at__lt=F("first_touch_at")).exists()


def test_it_tells_the_story_of_a_real_estate_company():
    from clientela.accounts.models import User
    from clientela.demo import vocabulary
    from clientela.orders.models import Order

    load_demo(contacts=300)
    # Only customers bought; prospects (leads, MQLs…) have no purchases.
    # (Orders fed by the demo's paid invoices follow the deals' contacts instead.)
    seeded = Order.objects.filter(created_via="demo")
    buyers = set(seeded.values_list("contact__lifecycle_stage", flat=True))
    assert buyers <= {"customer", "evangelist"}
    assert Order.objects.filter(created_via="invoice").exists()
    # Every customer's first purchase is a plot in dollars, not a retail ticket.
    assert not Order.objects.filter(currency="USD", amount__lt=10_000).exists()
    # The service department looks after some plot owners of its own.
    service = User.objects.get(username="servicio")
    assert Contact.objects.filter(owner=service, lifecycle_stage="customer").exists()
    words = " ".join(vocabulary.COMPANY_WORDS + vocabulary.INDUSTRIES).lower()
    assert "agro" not in words and "textil" not in words


def test_it_publishes_the_webinar_form():
    from django.test import Client

    from clientela.webforms.models import Form

    load_demo(contacts=30)
    form = Form.objects.get()
    assert form.status == "published"
    inputs = [f.input_name for f in form.fields.all()]
    assert {"first_name", "email", "phone", "city", "product", "utm_source"} <= set(inputs)
    assert form.consents.get().purpose == "marketing"
    page = Client().get(f"/f/{form.public_id}?utm_source=facebook")
    assert page.status_code == 200 and 'value="facebook"' in page.content.decode()


def test_it_gives_the_demo_reps_tasks_logged_calls_and_notifications():
    from django.utils import timezone

    from clientela.activities.models import Activity, Notification
    from clientela.activities.queries import task_board
    from clientela.demo.activities import seed_activities
    from clientela.demo.seeding import ensure_structure

    ensure_structure()
    seed_contacts(200, seed=4)
    now = timezone.now()
    created = seed_activities(seed=4, now=now)
    assert created == Activity.objects.count() > 0
    ana = ensure_structure().users["ana"]
    board = task_board(ana, owner_id=ana.pk, now=now)
    assert board.overdue and board.today and board.upcoming and board.done
    assert Notification.objects.filter(recipient=ana, read_at__isnull=True).count() == 2
    for activity in Activity.objects.select_related("contact"):
        assert activity.contact is not None
        assert activity.created_at >= activity.contact.created_at


def test_it_gives_speed_to_lead_a_fast_rep_and_a_slow_one():
    from clientela.demo.webforms import seed_lead_history
    from clientela.webforms.models import Form, LeadAssignment
    from clientela.webforms.queries import speed_report

    load_demo(contacts=400)
    assert LeadAssignment.objects.exists()
    # Seeding again adds nothing.
    assert seed_lead_history(Form.objects.get()) == 0
    gerente = ensure_structure().users["gerente"]
    report = speed_report(gerente, days=30)
    medians: dict[str, float] = {}
    for name, row in report.by_owner:
        assert row.median_minutes is not None
        medians[name] = row.median_minutes
    assert len(medians) == 3
    assert medians["Ana Montoya"] < medians["Carlos Quintero"] < medians["Luisa Cardona"]
    for assignment in LeadAssignment.objects.select_related("contact", "submission"):
        assert assignment.submitted_at >= assignment.contact.created_at
        assert assignment.submission.followed_up_at is not None


def test_story_two_s_birthday_segment_has_members_the_week_the_demo_is_loaded():
    """En riesgo, con consentimiento de e-mail, compró en 15 meses, cumpleaños en 7 días."""
    from clientela.demo.segments import BIRTHDAYS, STORY_TWO_BASE
    from clientela.segments.engine import members
    from clientela.segments.registry import Context
    from clientela.segments.tree import parse

    load_demo(contacts=300)
    story = {
        "all": [
            *STORY_TWO_BASE["all"],
            {"field": "birthday", "op": "in_next_days", "value": 7},
        ]
    }
    found = members(parse(story), Context()).count()
    base = members(parse(STORY_TWO_BASE), Context()).count()
    assert 1 <= found <= base
    assert found >= min(BIRTHDAYS, base)
