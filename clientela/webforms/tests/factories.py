"""Factories for web forms, and the shared scenario of a published webinar form.

`FormFactory`, `FormFieldFactory`, `FormConsentFactory`, `SubmissionFactory`,
`LeadSourceFactory`, `LandingPageFactory` and `AssignmentRuleFactory` write rows straight to
the tables. `webinar_form()` builds the story's form (name, e-mail, phone, city,
product of interest and UTM hidden, a marketing consent) through the factories.
`answer(form, **values)` returns what the hosted page would post: the values plus a render
token issued long enough ago and a solved ALTCHA challenge.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import altcha
import factory

from clientela.contacts.choices import ConsentChannel, ConsentPurpose
from clientela.webforms import antispam
from clientela.webforms.choices import (
    ContactTarget,
    FieldKind,
    FormStatus,
    HiddenSource,
    LeadSourceKind,
)
from clientela.webforms.models import (
    AssignmentRule,
    ConsentText,
    Form,
    FormConsent,
    FormField,
    LandingPage,
    LeadSource,
    Submission,
)


class FormFactory(factory.django.DjangoModelFactory[Form]):
    """A published form in Spanish with a thank-you message in both languages."""

    class Meta:
        model = Form

    name = factory.Sequence(lambda n: f"Webinar inversión {n}")
    status = FormStatus.PUBLISHED
    language = "es"
    thank_you_es = "¡Gracias! Le escribiremos pronto."
    thank_you_en = "Thank you! We will write to you soon."


class FormFieldFactory(factory.django.DjangoModelFactory[FormField]):
    """A contact field of a form (the e-mail unless told otherwise)."""

    class Meta:
        model = FormField

    form = factory.SubFactory(FormFactory)
    position = factory.Sequence(lambda n: n + 1)
    kind = FieldKind.CONTACT
    target = ContactTarget.EMAIL


class FormConsentFactory(factory.django.DjangoModelFactory[FormConsent]):
    """A marketing e-mail consent with its first text version kept in ConsentText."""

    class Meta:
        model = FormConsent
        skip_postgeneration_save = True

    form = factory.SubFactory(FormFactory)
    position = factory.Sequence(lambda n: n + 1)
    purpose = ConsentPurpose.MARKETING
    channel = ConsentChannel.EMAIL
    text_es = "Acepto recibir información comercial por correo electrónico."
    text_en = "I agree to receive marketing information by e-mail."

    @factory.post_generation
    def keep_text(obj: FormConsent, create: bool, extracted: Any, **kwargs: Any) -> None:
        """Keep the text's version like the builder does."""
        if create:
            ConsentText.objects.get_or_create(
                consent=obj, version=obj.version,
                defaults={"text_es": obj.text_es, "text_en": obj.text_en},
            )  # fmt: skip


class SubmissionFactory(factory.django.DjangoModelFactory[Submission]):
    """A stored, unprocessed submission of a form."""

    class Meta:
        model = Submission

    form = factory.SubFactory(FormFactory)
    payload = factory.LazyFunction(lambda: {"email": "ana@example.co", "first_name": "Ana"})
    language = "es"
    page_url = "https://www.example.co/webinar?utm_source=facebook"


def webinar_form(**overrides: Any) -> Form:
    """Build the story's published webinar form with its fields and marketing consent."""
    form = FormFactory.create(**overrides)
    for target, required in (
        (ContactTarget.FIRST_NAME, True),
        (ContactTarget.EMAIL, True),
        (ContactTarget.PHONE, False),
        (ContactTarget.CITY, False),
    ):
        FormFieldFactory.create(form=form, target=target, required=required)
    for source in (
        HiddenSource.UTM_SOURCE, HiddenSource.UTM_MEDIUM, HiddenSource.UTM_CAMPAIGN,
        HiddenSource.PRODUCT,
    ):  # fmt: skip
        FormFieldFactory.create(form=form, kind=FieldKind.HIDDEN, target="", hidden_source=source)
    FormConsentFactory.create(form=form)
    return form


def solved_altcha() -> str:
    """Return the payload the ALTCHA widget would post for a fresh challenge."""
    challenge = antispam.new_challenge()
    found = altcha.solve_challenge(
        challenge["challenge"], challenge["salt"], challenge["algorithm"], challenge["maxNumber"]
    )
    assert found is not None
    payload = {
        "algorithm": challenge["algorithm"], "challenge": challenge["challenge"],
        "number": found.number, "salt": challenge["salt"], "signature": challenge["signature"],
    }  # fmt: skip
    return base64.b64encode(json.dumps(payload).encode()).decode()


def answer(form: Form, *, token: str | None = None, **values: Any) -> dict[str, Any]:
    """Return a submission as the hosted page posts it: values, render token, ALTCHA payload."""
    return {
        antispam.TOKEN_FIELD: token
        or antispam.issue_render_token(form.public_id, now=time.time() - 60),
        antispam.ALTCHA_FIELD: solved_altcha(),
        **values,
    }


class LeadSourceFactory(factory.django.DjangoModelFactory[LeadSource]):
    """An active Meta lead source posting into a new webinar form (secrets made by the model)."""

    class Meta:
        model = LeadSource

    name = factory.Sequence(lambda n: f"Meta Ads {n}")
    kind = LeadSourceKind.META
    form = factory.LazyFunction(lambda: webinar_form())
    app_secret = "meta-app-secret"
    access_token = "EAAtoken"


class LandingPageFactory(factory.django.DjangoModelFactory[LandingPage]):
    """A draft landing page in Spanish whose one block is its title as a heading."""

    class Meta:
        model = LandingPage

    slug = factory.Sequence(lambda n: f"webinar-{n}")
    title_es = "Webinar: su primera vivienda"
    blocks = factory.LazyAttribute(
        lambda page: [{"type": "heading", "level": 1, "text_es": page.title_es, "text_en": ""}]
    )


class AssignmentRuleFactory(factory.django.DjangoModelFactory[AssignmentRule]):
    """An active round-robin routing rule for every lead (add members with `members.add`)."""

    class Meta:
        model = AssignmentRule

    name = factory.Sequence(lambda n: f"Regla {n}")
    position = factory.Sequence(lambda n: n + 1)
