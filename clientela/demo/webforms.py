"""The demo company's published "Webinar" form (story 1: a Facebook ad → the webinar form).

Name, e-mail, phone, city, the product of interest and the UTM parameters of the ad's link
(hidden, taken from the page URL), and the marketing consent with its Habeas Data text, built
through the webforms services as the demo's marketer would.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from django.db import transaction
from django.utils import timezone

from clientela.accounts.models import User
from clientela.contacts.choices import ConsentChannel, ConsentPurpose
from clientela.webforms import services
from clientela.webforms.choices import ContactTarget, FieldKind, FormStatus, HiddenSource
from clientela.webforms.models import Form

WEBINAR = "Webinar: invertir en lotes en Florida"


def seed_webinar_form(marketer: User) -> Form:
    """Create and publish the webinar form once (found again by name)."""
    existing = Form.objects.filter(name=WEBINAR).first()
    if existing is not None:
        return existing
    form = services.create_form(
        actor=marketer,
        data={
            "name": WEBINAR,
            "language": "es",
            "thank_you_es": "¡Gracias! Le enviamos el enlace del webinar a su correo.",
            "thank_you_en": "Thank you! We sent the webinar link to your e-mail.",
            "tags": ["webinar"],
            "lifecycle_stage": "lead",
            "contact_source": "form",
            "welcome_subject_es": "Su cupo en el webinar, {{ first_name }}",
            "welcome_body_es": (
                "Hola {{ first_name }}:\n\nGracias por inscribirse en «{{ form }}». "
                "El jueves a las 7 p. m. le enviaremos el enlace de la transmisión."
            ),
            "welcome_subject_en": "Your seat at the webinar, {{ first_name }}",
            "welcome_body_en": (
                "Hi {{ first_name }},\n\nThank you for signing up for “{{ form }}”. "
                "We will send you the stream link on Thursday at 7 p.m."
            ),
        },
        via="seed",
    )
    for target, required, es, en in (
        (ContactTarget.FIRST_NAME, True, "Nombre", "Name"),
        (ContactTarget.EMAIL, True, "Correo electrónico", "E-mail"),
        (ContactTarget.PHONE, False, "Celular (WhatsApp)", "Mobile (WhatsApp)"),
        (ContactTarget.CITY, False, "Ciudad", "City"),
    ):
        services.add_field(
            form, actor=marketer, via="seed",
            data={"kind": FieldKind.CONTACT, "target": target, "required": required,
                  "label_es": es, "label_en": en},
        )  # fmt: skip
    for source in (
        HiddenSource.PRODUCT, HiddenSource.UTM_SOURCE, HiddenSource.UTM_MEDIUM,
        HiddenSource.UTM_CAMPAIGN, HiddenSource.UTM_TERM, HiddenSource.UTM_CONTENT,
    ):  # fmt: skip
        services.add_field(
            form, actor=marketer, via="seed",
            data={"kind": FieldKind.HIDDEN, "hidden_source": source},
        )  # fmt: skip
    services.add_consent(
        form,
        actor=marketer,
        via="seed",
        data={
            "purpose": ConsentPurpose.MARKETING,
            "channel": ConsentChannel.EMAIL,
            "required": False,
            "text_es": (
                "Autorizo a Inmobiliaria Andina S.A.S. a tratar mis datos personales para "
                "enviarme información comercial por correo electrónico, conforme a la Ley 1581 "
                "de 2012 y su política de tratamiento de datos."
            ),
            "text_en": (
                "I authorise Inmobiliaria Andina S.A.S. to process my personal data to send me "
                "marketing information by e-mail, under Colombian Law 1581 of 2012 and its "
                "data-processing policy."
            ),
        },
    )
    return services.set_form_status(form, actor=marketer, status=FormStatus.PUBLISHED, via="seed")


WEBINAR_PAGE = "webinar-lotes-florida"


def seed_capture(form: Form, *, manager: User, marketer: User) -> None:
    """Give the demo the rest of story 1's capture: the webinar's landing page and routing.

    The page carries the form (the ad's UTM parameters reach it); one rule gives every new
    lead to the three reps in turn with "Llamar dentro de 24 h", the manager as fallback.
    """
    from clientela.webforms.models import AssignmentRule, LandingPage
    from clientela.webforms.services import assigning, pages

    if not LandingPage.objects.filter(slug=WEBINAR_PAGE).exists():
        page = pages.create_page(
            actor=marketer,
            data={
                "slug": WEBINAR_PAGE,
                "title_es": "Webinar gratuito: invertir en lotes en Florida",
                "title_en": "Free webinar: investing in plots in Florida",
                "description_es": "Una hora con nuestros asesores, el jueves a las 7 p. m.",
                "description_en": "One hour with our advisers, on Thursday at 7 p.m.",
            },
            via="seed",
        )
        blocks = [
            *page.blocks,
            {
                "type": "text",
                "html_es": "<p>Aprenda cómo <strong>invertir desde Colombia</strong> en lotes "
                "con escritura, financiación propia y sin intermediarios.</p>",
                "html_en": "<p>Learn how to <strong>invest from abroad</strong> in titled "
                "plots, with our own financing and no middlemen.</p>",
            },
            {"type": "button", "label_es": "Reservar mi cupo", "label_en": "Save my seat",
             "url": "#formulario"},
            {"type": "form", "form": form.public_id},
        ]  # fmt: skip
        page = pages.update_page(page, actor=marketer, data={"blocks": blocks}, via="seed")
        pages.set_page_status(page, actor=marketer, status="published", via="seed")
    if not AssignmentRule.objects.exists():
        reps = User.objects.filter(username__in=["ana", "carlos", "luisa"]).order_by("pk")
        assigning.save_rule(
            None,
            actor=manager,
            data={
                "name": "Todos los prospectos, en rotación",
                "strategy": "round_robin",
                "members": [rep.pk for rep in reps],
                "fallback_owner": manager.pk,
                "sla_hours": 24,
                "task_es": "Llamar dentro de 24 h",
                "task_en": "Call within 24 h",
            },
            via="seed",
        )


# How long each rep takes to make the first call, in minutes (a median to draw around), and
# how often a lead is never called: the speed-to-lead page shows the fast rep and the slow one.
REP_PACE = {"ana": (35, 0.03), "carlos": (300, 0.08), "luisa": (1500, 0.2)}


def seed_lead_history(
    form: Form, *, seed: int = 2026, leads: int = 90, now: dt.datetime | None = None
) -> int:
    """Give the last four weeks webinar leads, their assignments and the reps' first calls.

    Leads are existing demo contacts of the three reps who came from ads or the website; each
    has a processed submission of the webinar form, its assignment under the round-robin rule
    with a 24 h SLA, and (mostly) a logged first call after a delay in the rep's own pace.
    Returns how many leads were written.
    """
    from clientela.activities.choices import ActivityKind, ActivityVerb, Outcome
    from clientela.activities.models import Activity
    from clientela.contacts.models import Contact
    from clientela.core.events import Via
    from clientela.demo.activities import activity_event
    from clientela.timeline.services import build_event, record_events
    from clientela.webforms.choices import FormVerb, SubmissionState
    from clientela.webforms.models import AssignmentRule, LeadAssignment, Submission

    if LeadAssignment.objects.exists():
        return 0
    now = now or timezone.now()
    rng = random.Random(seed)
    rule = AssignmentRule.objects.order_by("pk").first()
    reps = {user.username: user for user in User.objects.filter(username__in=REP_PACE)}
    contacts = list(
        Contact.objects.filter(
            owner__in=reps.values(),
            deleted_at__isnull=True,
            source__in=["facebook", "instagram", "google_ads", "website", "form"],
            created_at__lt=now - dt.timedelta(days=30),
        )
        .exclude(email="")
        .select_related("owner")
        .order_by("id")[: leads * 3]
    )
    rng.shuffle(contacts)
    chosen = sorted(contacts[:leads], key=lambda c: c.pk)
    submissions: list[Submission] = []
    touches: list[Activity] = []
    plans: list[tuple[Contact, dt.datetime]] = []
    for contact in chosen:
        owner = contact.owner
        assert owner is not None
        received = now - dt.timedelta(minutes=rng.randint(60, 28 * 24 * 60))
        plans.append((contact, received))
        submissions.append(
            Submission(
                form=form,
                payload={"first_name": contact.first_name, "email": contact.email},
                state=SubmissionState.PROCESSED,
                language=contact.language or "es",
                contact=contact,
                attempts=1,
                created_at=received,
                processed_at=received + dt.timedelta(seconds=1),
                followed_up_at=received + dt.timedelta(seconds=3),
                page_url=f"https://inmobiliaria.example.co/p/{WEBINAR_PAGE}",
            )
        )
        median, never = REP_PACE[owner.username]
        if rng.random() < never:
            continue
        waited = dt.timedelta(minutes=max(2.0, rng.lognormvariate(math.log(median), 0.8)))
        if received + waited >= now:
            continue
        touches.append(
            Activity(
                kind=ActivityKind.CALL,
                subject="Llamada de bienvenida al webinar",
                contact=contact,
                company_id=contact.company_id,
                owner=owner,
                done_at=received + waited,
                outcome=Outcome.REACHED,
                duration_minutes=rng.randint(3, 15),
                created_by=owner,
                created_at=received + waited,
                updated_at=received + waited,
                source="demo",
            )
        )
    with transaction.atomic():
        stored = Submission.objects.bulk_create(submissions, batch_size=500)
        LeadAssignment.objects.bulk_create(
            [
                LeadAssignment(
                    submission=submission,
                    contact=contact,
                    rule=rule,
                    owner=contact.owner,
                    source=contact.source[:20],
                    submitted_at=received,
                    assigned_at=received + dt.timedelta(seconds=2),
                    due_at=received + dt.timedelta(hours=24),
                )
                for submission, (contact, received) in zip(stored, plans, strict=True)
            ],
            batch_size=500,
        )
        called = Activity.objects.bulk_create(touches, batch_size=500)
        record_events(
            [
                build_event(
                    FormVerb.SUBMITTED,
                    actor=None,
                    target=submission,
                    via=Via.SEED,
                    contact_id=contact.pk,
                    at=received,
                    data={
                        "form": form.name,
                        "form_id": form.pk,
                        "source": "form",
                        "fields": {"Nombre": contact.first_name, "Correo": contact.email},
                    },
                )
                for submission, (contact, received) in zip(stored, plans, strict=True)
            ]
            + [activity_event(activity, ActivityVerb.LOGGED) for activity in called]
        )
    return len(stored)
