"""Factories for pipelines, stages, lost reasons and deals, and the world access tests share.

`DealFactory` writes a row straight to the table (no event, no history); `EnteredDealFactory`
goes through `create_deal` as `actor` would (checks, conversion, history, timeline event).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from clientela.accounts.models import Department, User
from clientela.contacts.models import Contact, CustomField
from clientela.contacts.tests.factories import CustomFieldFactory, EnteredContactFactory
from clientela.deals import services
from clientela.deals.choices import StageKind
from clientela.deals.models import Deal, DealLine, LostReason, Pipeline, Stage, StageRule

# The real-estate pipeline of PRODUCT.md's story 1: (name, probability, kind, rotting days).
REAL_ESTATE_STAGES = (
    ("Nuevo", 10, StageKind.OPEN, 3),
    ("Agendado", 25, StageKind.OPEN, 7),
    ("Asistió a la cita", 40, StageKind.OPEN, 7),
    ("Cotizado", 60, StageKind.OPEN, 10),
    ("Nutrición", 30, StageKind.OPEN, 30),
    ("Cierre ganado", 100, StageKind.WON, None),
    ("Cierre perdido", 0, StageKind.LOST, None),
)


class PipelineFactory(factory.django.DjangoModelFactory[Pipeline]):
    """A pipeline without stages (see `real_estate_pipeline` for one with its stages)."""

    class Meta:
        model = Pipeline

    name = factory.Sequence(lambda n: f"Embudo {n}")
    position = factory.Sequence(lambda n: n + 10)


class StageFactory(factory.django.DjangoModelFactory[Stage]):
    """An open stage of `pipeline` (required)."""

    class Meta:
        model = Stage

    name = factory.Sequence(lambda n: f"Etapa {n}")
    position = factory.Sequence(lambda n: n)
    probability = 20
    kind = StageKind.OPEN


class LostReasonFactory(factory.django.DjangoModelFactory[LostReason]):
    """An offered lost reason."""

    class Meta:
        model = LostReason

    name = factory.Sequence(lambda n: f"Precio {n}")
    position = factory.Sequence(lambda n: n)


class StageRuleFactory(factory.django.DjangoModelFactory[StageRule]):
    """A stage rule: a follow-up task due in 24 hours; `stage` is required."""

    class Meta:
        model = StageRule

    subject = "Hacer seguimiento a la cotización"
    due_hours = 24
    priority = "normal"


def real_estate_pipeline(
    name: str = "Lotes en Florida", departments: list[Department] | None = None
) -> Pipeline:
    """Return a pipeline with the seven stages of the real-estate story."""
    pipeline = PipelineFactory.create(name=name)
    for position, (stage, probability, kind, days) in enumerate(REAL_ESTATE_STAGES, start=1):
        StageFactory.create(
            pipeline=pipeline, name=stage, position=position, probability=probability,
            kind=kind, rotting_days=days,
        )  # fmt: skip
    if departments:
        pipeline.departments.set(departments)
    return pipeline


def stage_named(pipeline: Pipeline, name: str) -> Stage:
    """Return the pipeline's stage of that name."""
    return pipeline.stages.get(name=name)


class DealFactory(factory.django.DjangoModelFactory[Deal]):
    """A deal written straight to the table; `owner`, `pipeline` and `stage` are required."""

    class Meta:
        model = Deal

    title = factory.Sequence(lambda n: f"Lote {n} en Ocala")
    amount = Decimal("25000000.00")
    currency = "COP"
    amount_company = factory.LazyAttribute(lambda o: o.amount)
    state = factory.LazyAttribute(lambda o: o.stage.kind)
    stage_entered_at = factory.LazyFunction(timezone.now)


class EnteredDealFactory(factory.django.DjangoModelFactory[Deal]):
    """A deal created through `create_deal` by `actor` in `pipeline` (both required)."""

    class Meta:
        model = Deal

    title = factory.Sequence(lambda n: f"Lote {n} para la familia Pérez")
    amount = Decimal("30000000")
    currency = "COP"

    @classmethod
    def _create(cls, model_class: type[Deal], *args: Any, **data: Any) -> Deal:
        return services.create_deal(**data)


class DealLineFactory(factory.django.DjangoModelFactory[DealLine]):
    """A free-text line written straight to the table (the deal's amount is not recomputed)."""

    class Meta:
        model = DealLine

    description = factory.Sequence(lambda n: f"Gastos de escrituración {n}")
    quantity = Decimal(1)
    unit_price = Decimal("1000000.00")
    net = Decimal("1000000.00")
    total = Decimal("1000000.00")


@dataclass
class World:
    """Rep's contact with a deal; rep2's contact with a deal; a lost reason; the pipeline."""

    pipeline: Pipeline
    contact: Contact
    deal: Deal
    other_contact: Contact
    other_deal: Deal
    reason: LostReason
    won: Stage
    lost: Stage
    next_stage: Stage
    line: DealLine | None = None
    # Who starts the world's imports (deals.import: administrators and managers).
    importer: User | None = None


def build_world(personas: Any) -> World:
    """Rep's and rep2's contacts with a deal each, in the real-estate pipeline."""
    pipeline = real_estate_pipeline()
    contact = EnteredContactFactory.create(actor=personas.rep)
    other = EnteredContactFactory.create(actor=personas.rep2)
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline, contact=contact)
    other_deal = EnteredDealFactory.create(actor=personas.rep2, pipeline=pipeline, contact=other)
    line = DealLineFactory.create(deal=deal)
    return World(
        pipeline=pipeline,
        contact=contact,
        deal=deal,
        other_contact=other,
        other_deal=other_deal,
        reason=LostReasonFactory.create(name="Eligió a la competencia"),
        won=stage_named(pipeline, "Cierre ganado"),
        lost=stage_named(pipeline, "Cierre perdido"),
        next_stage=stage_named(pipeline, "Agendado"),
        line=line,
        importer=personas.manager,
    )


def days_ago(days: int) -> dt.datetime:
    """Return the moment `days` days before now."""
    return timezone.now() - dt.timedelta(days=days)


@dataclass
class DealFields:
    """Deal custom fields: a choice (financing), a number (lot size) and a date (deed)."""

    financing: CustomField
    size: CustomField
    deed: CustomField


def deal_custom_fields() -> DealFields:
    """Define three custom fields on deals, as an administrator would."""
    return DealFields(
        financing=CustomFieldFactory.create(
            entity="deal", key="financiacion", label_es="Financiación", label_en="Financing",
            field_type="choice", choices=["Crédito", "Contado"], choices_en=["Loan", "Cash"],
        ),
        size=CustomFieldFactory.create(
            entity="deal", key="area_m2", label_es="Área (m²)", label_en="Area (m²)",
            field_type="number",
        ),
        deed=CustomFieldFactory.create(
            entity="deal", key="escritura", label_es="Fecha de escritura",
            label_en="Deed date", field_type="date",
        ),
    )  # fmt: skip
