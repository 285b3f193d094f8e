"""Factories for campaigns: templates, campaigns, and a small audience with every exclusion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import factory

from clientela.accounts.models import User
from clientela.campaigns.models import Campaign, EmailTemplate
from clientela.campaigns.starters import STARTERS
from clientela.contacts.choices import ConsentChannel, ConsentPurpose, ConsentStatus
from clientela.contacts.models import Consent, Contact
from clientela.contacts.tests.factories import ContactFactory
from clientela.segments.choices import SegmentKind
from clientela.segments.models import Segment
from clientela.segments.tests.factories import MembershipFactory, SegmentFactory

_NEWSLETTER = next(s for s in STARTERS if s.code == "newsletter")


class EmailTemplateFactory(factory.django.DjangoModelFactory[EmailTemplate]):
    """The newsletter starter in Spanish and English, written straight to the table."""

    class Meta:
        model = EmailTemplate

    name = factory.Sequence(lambda n: f"Plantilla {n}")
    subject_es = _NEWSLETTER.subject_es
    subject_en = _NEWSLETTER.subject_en
    blocks_es = factory.LazyFunction(lambda: list(_NEWSLETTER.blocks_es))
    blocks_en = factory.LazyFunction(lambda: list(_NEWSLETTER.blocks_en))


class EnteredTemplateFactory(factory.django.DjangoModelFactory[EmailTemplate]):
    """A template created through the service by `actor` (required)."""

    class Meta:
        model = EmailTemplate

    name = factory.Sequence(lambda n: f"Boletín {n}")
    subject_es = _NEWSLETTER.subject_es
    subject_en = _NEWSLETTER.subject_en
    blocks_es = factory.LazyFunction(lambda: list(_NEWSLETTER.blocks_es))
    blocks_en = factory.LazyFunction(lambda: list(_NEWSLETTER.blocks_en))

    @classmethod
    def _create(cls, model_class: type[EmailTemplate], *args: Any, **data: Any) -> EmailTemplate:
        from clientela.campaigns.services.templates import create_template

        actor = data.pop("actor")
        return create_template(actor=actor, data=data)


class EnteredCampaignFactory(factory.django.DjangoModelFactory[Campaign]):
    """A draft campaign created through the service by `actor`; `template` and `segments` (ids)."""

    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaña {n}")

    @classmethod
    def _create(cls, model_class: type[Campaign], *args: Any, **data: Any) -> Campaign:
        from clientela.campaigns.services.campaigns import create_campaign

        actor = data.pop("actor")
        template = data.pop("template")
        data["template"] = template.pk if isinstance(template, EmailTemplate) else template
        data["segments"] = [
            s.pk if isinstance(s, Segment) else s for s in data.get("segments") or []
        ]
        return create_campaign(actor=actor, data=data)


class ConsentFactory(factory.django.DjangoModelFactory[Consent]):
    """A marketing e-mail consent decision (granted unless `status` says otherwise)."""

    class Meta:
        model = Consent

    channel = ConsentChannel.EMAIL
    purpose = ConsentPurpose.MARKETING
    status = ConsentStatus.GRANTED
    source = "test"


def consent(contact: Contact, status: str = ConsentStatus.GRANTED) -> Consent:
    """Record a marketing e-mail consent decision for `contact`."""
    return ConsentFactory.create(contact=contact, status=status)


@dataclass
class Audience:
    """A static list with contacts in every situation a campaign tells apart."""

    segment: Segment
    ana: Contact  # consent granted, Spanish
    john: Contact  # consent granted, English
    luis: Contact  # consent granted, another domain
    withdrawn: Contact  # consent withdrawn → unsubscribed
    silent: Contact  # never asked → no consent
    pending: Contact  # awaiting confirmation → no consent
    no_address: Contact  # consent but no address → invalid

    @property
    def sendable(self) -> list[Contact]:
        """The contacts a campaign to this audience reaches."""
        return [self.ana, self.john, self.luis]


def build_audience(*, name: str = "Clientes boletín") -> Audience:
    """Create the audience of `Audience` as a static list."""
    segment = SegmentFactory.create(name=name, kind=SegmentKind.STATIC)
    people = {
        "ana": ContactFactory.create(first_name="Ana", email="ana@example.co", language="es"),
        "john": ContactFactory.create(first_name="John", email="john@example.com", language="en"),
        "luis": ContactFactory.create(first_name="", email="luis@correo.example", language="es"),
        "withdrawn": ContactFactory.create(first_name="Eva", email="eva@example.co"),
        "silent": ContactFactory.create(first_name="Sol", email="sol@example.co"),
        "pending": ContactFactory.create(first_name="Pía", email="pia@example.co"),
        "no_address": ContactFactory.create(first_name="Tom", email=""),
    }
    for key in ("ana", "john", "luis", "no_address"):
        consent(people[key])
    consent(people["withdrawn"])
    consent(people["withdrawn"], ConsentStatus.WITHDRAWN)
    consent(people["pending"], ConsentStatus.PENDING)
    for contact in people.values():
        MembershipFactory.create(segment=segment, contact=contact)
    return Audience(segment=segment, **people)


def marketer(personas: Any) -> User:
    """Return the persona who prepares and sends campaigns (the marketing role)."""
    user: User = personas.marketer
    return user


def png_bytes(colour: str = "#1f6feb") -> bytes:
    """Return a small PNG image (for uploads)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(out, "PNG")
    return out.getvalue()


@dataclass
class ScreensWorld:
    """What the campaign screens and API are tried against."""

    audience: Audience
    template: EmailTemplate
    campaign: Campaign
    image: Any


def build_screens_world(personas: Any) -> ScreensWorld:
    """A template, a draft campaign to the audience of `build_audience`, an uploaded image."""
    from clientela.campaigns.services.templates import upload_image

    admin = personas.admin
    audience = build_audience()
    template = EnteredTemplateFactory.create(actor=admin)
    campaign = EnteredCampaignFactory.create(
        actor=admin, template=template, segments=[audience.segment]
    )
    image = upload_image(actor=admin, raw=png_bytes(), name="logo.png")
    return ScreensWorld(audience, template, campaign, image)
