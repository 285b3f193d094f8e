"""Factories for segments, and a random world of contacts for the equivalence property test."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import factory
from django.conf import settings

from clientela.accounts.models import User
from clientela.accounts.tests.factories import DepartmentFactory
from clientela.analytics.rfm import INACTIVITY_CODES, SEGMENT_CODES
from clientela.analytics.tests.factories import CustomerValueFactory, ValueSnapshotFactory
from clientela.contacts.choices import (
    ConsentChannel,
    ConsentPurpose,
    ConsentStatus,
    CustomFieldType,
    Entity,
    LeadStatus,
    LifecycleStage,
    Source,
)
from clientela.contacts.models import Consent, Contact
from clientela.contacts.tests.factories import (
    CompanyFactory,
    ContactFactory,
    CustomFieldFactory,
    TagFactory,
)
from clientela.deals.tests.factories import DealFactory, real_estate_pipeline
from clientela.orders.tests.factories import OrderFactory, OrderLineFactory
from clientela.segments.choices import SegmentKind
from clientela.segments.models import Membership, Segment
from clientela.tracking.choices import EventKind
from clientela.tracking.tests.factories import EventFactory, TrackedSiteFactory, VisitorFactory
from clientela.webforms.choices import SubmissionState
from clientela.webforms.tests.factories import FormFactory, SubmissionFactory


class SegmentFactory(factory.django.DjangoModelFactory[Segment]):
    """A dynamic segment with no conditions (everyone) unless given a definition."""

    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"Segmento {n}")
    kind = SegmentKind.DYNAMIC
    definition = factory.LazyFunction(dict)


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    """An open stay of a contact in a segment."""

    class Meta:
        model = Membership

    segment = factory.SubFactory(SegmentFactory, kind=SegmentKind.STATIC)


# Values chosen to meet at the edges: case and accents, LIKE wildcards, quotes, empty strings.
TEXTS = [
    "",
    "ana",
    "Ána",
    "ÁNA",
    "bogotá",
    "BOGOTÁ",
    "Bogota",
    "50%_off",
    "o'brien",
    "a\\b",
    "ñandú",
    "x",
]
PRODUCTS = [
    ("APT-1", "Apartamento Chicó"),
    ("", "Casa campestre"),
    ("LOT-9", "Lote 50%"),
    ("apt-1", "Bodega"),
]
AMOUNTS = [
    Decimal("-50.00"),
    Decimal("0.00"),
    Decimal("10.50"),
    Decimal("99.99"),
    Decimal("100.00"),
    Decimal("1234.56"),
]
TAG_NAMES = ["VIP", "Clientes Ñ", "feria"]


@dataclass
class World:
    """What a random world holds, for drawing operands that can match."""

    now: dt.datetime
    contact_ids: list[int] = field(default_factory=list)
    live_ids: list[int] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    department_ids: list[int] = field(default_factory=list)
    segment_ids: list[int] = field(default_factory=list)
    days: list[dt.date] = field(default_factory=list)


def _moment(rng: random.Random, now: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """An instant near a local midnight some days from now: where day boundaries bite."""
    local_midnight = dt.datetime.combine(now.astimezone(zone).date(), dt.time.min, tzinfo=zone)
    offset = dt.timedelta(days=rng.choice([-400, -366, -31, -30, -29, -7, -1, 0, 1, 6, 7, 8]))
    jitter = dt.timedelta(seconds=rng.choice([-1, 0, 1, 3600 * 5, 3600 * 23 + 3599]))
    return local_midnight + offset + jitter


def build_world(rng: random.Random, now: dt.datetime, size: int = 16) -> World:
    """A deterministic random world: contacts with every kind of data segments look at."""
    zone = ZoneInfo(settings.TIME_ZONE)
    world = World(now=now)
    departments = [DepartmentFactory.create(name=f"Dpto {i}") for i in range(2)]
    users = [User.objects.create_user(username=f"user{i}", password="x") for i in range(3)]
    users[0].departments.set(departments)
    users[1].departments.set(departments[:1])
    world.user_ids = [u.pk for u in users]
    world.department_ids = [d.pk for d in departments]
    tags = [TagFactory.create(name=name) for name in TAG_NAMES]
    web_forms = [FormFactory.create(name=f"Formulario {i}") for i in range(2)]
    companies = [
        CompanyFactory.create(
            name=rng.choice(TEXTS) or "Sin nombre",
            city=rng.choice(TEXTS),
            industry=rng.choice(TEXTS),
        )
        for _ in range(3)
    ]
    companies[0].deleted_at = now
    companies[0].save()
    for key, kind, choices in (
        ("nivel", CustomFieldType.TEXT, []),
        ("presupuesto", CustomFieldType.NUMBER, []),
        ("visita", CustomFieldType.DATE, []),
        ("plan", CustomFieldType.CHOICE, ["basico", "pro"]),
        ("activo", CustomFieldType.BOOLEAN, []),
    ):
        CustomFieldFactory.create(
            entity=Entity.CONTACT, key=key, label=key, field_type=kind, choices=choices
        )
    today = now.astimezone(zone).date()
    world.days = sorted(
        {today + dt.timedelta(days=d) for d in (-400, -366, -31, -30, -29, -7, -1, 0, 1, 7)}
    )
    birthdays = [
        None,
        dt.date(1992, 2, 29),
        dt.date(1985, 2, 28),
        dt.date(1980, 3, 1),
        dt.date(1999, 12, 31),
        dt.date(2000, 1, 1),
    ]
    birthdays += [dt.date(1970, d.month, min(d.day, 28)) for d in world.days]
    # Web behaviour draws from its own generator so the rest of the world stays as it was.
    behaviour = random.Random(repr(rng.getstate()[1][:8]))
    site = TrackedSiteFactory.create()
    anonymous = VisitorFactory.create()
    # Deals too: two pipelines, each contact with a few deals opened and closed around the
    # window edges (their own generator, so the rest of the world stays as it was).
    selling = random.Random(repr(rng.getstate()[1][8:16]))
    stages = [
        stage
        for name in ("Lotes", "Casas")
        for stage in real_estate_pipeline(name).stages.order_by("position")
    ]
    for index in range(size):
        custom: dict[str, Any] = {}
        if rng.random() < 0.7:
            custom["nivel"] = rng.choice(TEXTS) or None
        if rng.random() < 0.7:
            custom["presupuesto"] = rng.choice([0, 1.5, 100, -3, 1e6, None])
        if rng.random() < 0.7:
            custom["visita"] = rng.choice([d.isoformat() for d in world.days] + [None])
        if rng.random() < 0.7:
            custom["plan"] = rng.choice(["basico", "pro", None])
        if rng.random() < 0.7:
            custom["activo"] = rng.choice([True, False, None])
        contact = ContactFactory.create(
            first_name=rng.choice(TEXTS),
            last_name=rng.choice(TEXTS),
            email=rng.choice(["", f"c{index}@example.co", f"C{index}@Example.CO"]),
            city=rng.choice(TEXTS),
            job_title=rng.choice(TEXTS),
            country=rng.choice(["CO", "MX", ""]),
            language=rng.choice(["es", "en"]),
            lifecycle_stage=rng.choice(LifecycleStage.values),
            lead_status=rng.choice([*LeadStatus.values, ""]),
            source=rng.choice([*Source.values[:4], ""]),
            owner_id=rng.choice([*world.user_ids, None]),
            company=rng.choice([*companies, None]),
            birthday=rng.choice(birthdays),
            created_at=_moment(rng, now, zone),
            updated_at=_moment(rng, now, zone),
            last_touch_at=rng.choice([None, _moment(rng, now, zone)]),
            custom=custom,
            deleted_at=now if rng.random() < 0.1 else None,
        )
        contact.tags.set(rng.sample(tags, rng.randint(0, 2)))
        recorded = _moment(rng, now, zone)
        for _ in range(rng.randint(0, 3)):
            Consent.objects.create(
                contact=contact,
                channel=rng.choice([ConsentChannel.EMAIL, ConsentChannel.SMS]),
                purpose=ConsentPurpose.MARKETING,
                status=rng.choice(ConsentStatus.values),
                # Equal timestamps: the later row (higher id) decides.
                recorded_at=recorded if rng.random() < 0.5 else _moment(rng, now, zone),
            )
        for _ in range(rng.choice([0, 0, 1, 2, 4])):
            day = rng.choice(world.days)
            amount = rng.choice(AMOUNTS)
            order = OrderFactory.create(
                contact=contact,
                ordered_at=dt.datetime.combine(day, dt.time(12), tzinfo=zone),
                ordered_on=day,
                amount=amount,
            )
            sku, name = rng.choice(PRODUCTS)
            OrderLineFactory.create(order=order, sku=sku, product_name=name, unit_price=amount)
        for _ in range(rng.choice([0, 0, 1, 2])):
            SubmissionFactory.create(
                form=rng.choice(web_forms),
                contact=contact,
                state=rng.choice([SubmissionState.PROCESSED, SubmissionState.FAILED]),
                created_at=_moment(rng, now, zone),
            )
        for _ in range(selling.choice([0, 0, 1, 2, 3])):
            stage = selling.choice(stages)
            opened = _moment(selling, now, zone)
            DealFactory.create(
                contact=contact,
                owner_id=world.user_ids[0],
                pipeline_id=stage.pipeline_id,
                stage=stage,
                amount=selling.choice([a for a in AMOUNTS if a >= 0]),
                created_at=opened,
                closed_at=None if stage.kind == "open" else _moment(selling, now, zone),
            )
        visitor = VisitorFactory.create(contact=contact)
        for _ in range(behaviour.choice([0, 0, 1, 2, 3])):
            text = behaviour.choice(TEXTS)
            for who, visitor_row in ((contact, visitor), (None, anonymous)):
                EventFactory.create(
                    site=site,
                    visitor=visitor_row,
                    contact=who,
                    kind=behaviour.choice([EventKind.PAGEVIEW, EventKind.CLICK]),
                    path=f"/{text}",
                    url=f"https://www.example.co/{text}?utm_source=x",
                    cta=behaviour.choice(TEXTS),
                    occurred_at=_moment(behaviour, now, zone),
                )
        world.contact_ids.append(contact.pk)
        if contact.deleted_at is None:
            world.live_ids.append(contact.pk)
    # Customer value: an older snapshot the conditions must ignore, and the latest one.
    old = ValueSnapshotFactory.create(state="done", created_at=now - dt.timedelta(days=2))
    latest = ValueSnapshotFactory.create(state="done", created_at=now - dt.timedelta(days=1))
    for contact in Contact.objects.filter(pk__in=world.contact_ids):
        CustomerValueFactory.create(
            snapshot=old,
            contact=contact,
            segment="champions",
            clv=1.0,
        )
        if rng.random() < 0.7:
            CustomerValueFactory.create(
                snapshot=latest,
                contact=contact,
                segment=rng.choice(SEGMENT_CODES),
                inactivity=rng.choice(INACTIVITY_CODES),
                clv=rng.choice([None, 0.0, 1.5, 100.0, 99.99, 1e6]),
                p_alive=rng.choice([None, 0.0, 0.5, 0.999, 1.0]),
            )
    static = SegmentFactory.create(name="Lista", kind=SegmentKind.STATIC)
    for contact_id in rng.sample(world.contact_ids, len(world.contact_ids) // 3):
        MembershipFactory.create(segment=static, contact_id=contact_id)
    dynamic = SegmentFactory.create(
        name="VIP", definition={"all": [{"field": "tag", "op": "has", "value": "vip"}]}
    )
    world.segment_ids = [static.pk, dynamic.pk]
    return world


class EnteredSegmentFactory(factory.django.DjangoModelFactory[Segment]):
    """A segment or list created through the service by `actor` (required), members computed.

    `definition` is the condition tree's JSON; `kind` "static" makes a list.
    """

    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"Audiencia {n}")
    definition = factory.LazyFunction(dict)

    @classmethod
    def _create(cls, model_class: type[Segment], *args: Any, **data: Any) -> Segment:
        from clientela.segments.services import create_segment

        actor = data.pop("actor")
        kind = data.pop("kind", SegmentKind.DYNAMIC)
        return create_segment(actor=actor, data=data, kind=kind)


@dataclass
class ScreensWorld:
    """What the segment screens are tried against: rep's and rep2's VIP contacts, a segment
    over the tag, a list holding rep's contact, and a segment that uses the first one."""

    personas: Any
    ana: Any
    bruno: Any
    vip: Segment
    feria: Segment
    uses_vip: Segment


VIP = {"all": [{"field": "tag", "op": "has", "value": "vip"}]}


def build_screens_world(personas: Any) -> ScreensWorld:
    """Rep owns Ana and rep2 owns Bruno, both tagged VIP; the segments are the admin's."""
    from clientela.contacts.tests.factories import TagFactory
    from clientela.segments.services import add_to_list

    vip_tag = TagFactory.create(name="VIP")
    ana = ContactFactory.create(first_name="Ana", last_name="Restrepo", owner=personas.rep)
    bruno = ContactFactory.create(first_name="Bruno", last_name="Díaz", owner=personas.rep2)
    for contact in (ana, bruno):
        contact.tags.add(vip_tag)
    vip = EnteredSegmentFactory.create(actor=personas.admin, name="Clientes VIP", definition=VIP)
    feria = EnteredSegmentFactory.create(
        actor=personas.admin, name="Feria de vivienda", kind=SegmentKind.STATIC
    )
    add_to_list(feria, [ana.pk], actor=personas.admin)
    uses_vip = EnteredSegmentFactory.create(
        actor=personas.admin,
        name="VIP de la feria",
        definition={
            "all": [
                {"field": "segment", "op": "in_segment", "value": vip.pk},
                {"field": "segment", "op": "in_segment", "value": feria.pk},
            ]
        },
    )
    return ScreensWorld(personas, ana, bruno, vip, feria, uses_vip)
