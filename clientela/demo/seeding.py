"""Deterministic demo and synthetic data: the demo company and contacts at any scale."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import transaction

from clientela.accounts.models import Department, Role, User
from clientela.accounts.services import ensure_default_roles
from clientela.contacts.models import Company, Consent, Contact, CustomField, Tag
from clientela.contacts.normalize import fold, search_key
from clientela.demo import vocabulary as vocab

DEMO_PASSWORD = "clientela-demo"
DEPARTMENTS = ("Gerencia", "Comercial", "Mercadeo", "Servicio")
# username, first name, last name, role, departments
DEMO_USERS = (
    ("admin", "Adriana", "Villegas", "administrador", ("Gerencia",)),
    ("gerente", "Gustavo", "Restrepo", "gerente", ("Gerencia", "Comercial")),
    ("ana", "Ana", "Montoya", "comercial", ("Comercial",)),
    ("carlos", "Carlos", "Quintero", "comercial", ("Comercial",)),
    ("luisa", "Luisa", "Cardona", "comercial", ("Comercial",)),
    ("mercadeo", "Marcela", "Ospina", "mercadeo", ("Mercadeo",)),
    ("servicio", "Samuel", "Giraldo", "servicio", ("Servicio",)),
)
EPOCH = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass
class DemoCompany:
    """What `ensure_structure` created, for the contact generator."""

    users: dict[str, User]
    owners: list[User]
    service: User  # after the sale, part of the plot owners are looked after by Servicio


def ensure_structure() -> DemoCompany:
    """Create roles, departments, demo users and custom fields if missing (idempotent)."""
    ensure_default_roles()
    roles = {r.code: r for r in Role.objects.all()}
    departments = {name: Department.objects.get_or_create(name=name)[0] for name in DEPARTMENTS}
    users: dict[str, User] = {}
    for username, first, last, role, depts in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                first_name=first,
                last_name=last,
                role=roles[role],
                email=f"{username}@inmobiliaria.example.co",
                is_staff=role == "administrador",
                is_superuser=False,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.departments.set([departments[d] for d in depts])
        users[username] = user
    # Each field reads in the viewer's language: (key, Spanish, English, type, options, English).
    for position, (key, label_es, label_en, kind, choices, choices_en) in enumerate(
        (
            ("presupuesto_usd", "Presupuesto (USD)", "Budget (USD)", "number", [], []),
            (
                "plazo_compra",
                "Plazo de compra",
                "Purchase timeframe",
                "choice",
                ["Inmediato", "3 meses", "6 meses", "1 año o más"],
                ["Right away", "3 months", "6 months", "1 year or more"],
            ),
            ("decide_solo", "¿Decide solo?", "Decides alone?", "boolean", [], []),
            ("interes", "Interés", "Interest", "text", [], []),
        )
    ):
        field, created = CustomField.objects.get_or_create(
            entity="contact",
            key=key,
            defaults={
                "label_es": label_es,
                "label_en": label_en,
                "field_type": kind,
                "choices": choices,
                "choices_en": choices_en,
                "position": position,
            },
        )
        if not created and field.label_en == field.label_es == label_es:
            # A demo loaded before fields had two languages: the migration copied the Spanish.
            field.label_en, field.choices_en = label_en, choices_en
            field.save(update_fields=["label_en", "choices_en"])
    # A deal field too: how the buyer pays for the plot (the demo's deals fill it in).
    CustomField.objects.get_or_create(
        entity="deal",
        key="financiacion",
        defaults={
            "label_es": "Financiación",
            "label_en": "Financing",
            "field_type": "choice",
            "choices": ["Crédito", "Contado"],
            "choices_en": ["Loan", "Cash"],
        },
    )
    owners = [users[name] for name in ("ana", "carlos", "luisa", "gerente")]
    return DemoCompany(users=users, owners=owners, service=users["servicio"])


def _weighted(rng: random.Random, pairs: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    return rng.choices(pairs, weights=[p[-1] for p in pairs])[0]


def company_rows(count: int, seed: int) -> Iterator[dict[str, Any]]:
    """Deterministic company values."""
    rng = random.Random(f"companies-{seed}")
    for i in range(count):
        name = f"{rng.choice(vocab.COMPANY_WORDS)} {rng.choice(vocab.COMPANY_NAMES)} {rng.choice(vocab.COMPANY_SUFFIXES)}"
        if i >= len(vocab.COMPANY_WORDS) * len(vocab.COMPANY_NAMES):
            name = f"{name} {i}"
        city = _weighted(rng, vocab.CITIES)[0]
        yield {
            "name": name,
            "city": city,
            "industry": rng.choice(vocab.INDUSTRIES),
            "domain": f"{fold(name.split()[1])}{i}.example.co",
            "tax_id": f"9{rng.randrange(10**8, 10**9)}-{rng.randrange(10)}",
        }


def contact_rows(count: int, seed: int, *, start: int = 0) -> Iterator[dict[str, Any]]:
    """Deterministic contact values: Spanish names, valid Colombian mobiles, sources and UTMs."""
    rng = random.Random(f"contacts-{seed}-{start}")
    for i in range(start, start + count):
        first = rng.choice(vocab.FIRST_NAMES)
        last = f"{rng.choice(vocab.LAST_NAMES)} {rng.choice(vocab.LAST_NAMES)}"
        source, utm_source, utm_medium, _w = _weighted(rng, vocab.SOURCES)
        campaign = rng.choice(vocab.CAMPAIGNS) if utm_source else ""
        created = EPOCH - timedelta(minutes=rng.randrange(0, 60 * 24 * 730))
        has_email = rng.random() < 0.93
        has_phone = rng.random() < 0.9
        yield {
            "first_name": first,
            "last_name": last,
            "email": f"{fold(first)}.{fold(last.split()[0])}{i}@{rng.choice(vocab.EMAIL_DOMAINS)}"
            if has_email
            else "",
            "phone": f"+57{rng.choice(vocab.MOBILE_PREFIXES)}{i % 10_000_000:07d}"
            if has_phone or not has_email
            else "",
            "city": _weighted(rng, vocab.CITIES)[0],
            "job_title": rng.choice(vocab.JOB_TITLES),
            "birthday": date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
            if rng.random() < 0.6
            else None,
            "lifecycle_stage": _weighted(rng, vocab.LIFECYCLE_WEIGHTS)[0],
            "lead_status": rng.choice(vocab.LEAD_STATUSES),
            "source": source,
            "first_utm_source": utm_source,
            "first_utm_medium": utm_medium,
            "first_utm_campaign": campaign,
            "last_utm_source": utm_source,
            "last_utm_medium": utm_medium,
            "last_utm_campaign": rng.choice(vocab.CAMPAIGNS) if utm_source else "",
            "first_touch_at": created if utm_source else None,
            "last_touch_at": min(created + timedelta(days=rng.randrange(0, 60)), EPOCH)
            if utm_source
            else None,
            "created_at": created,
            "custom": {
                "presupuesto_usd": rng.choice((15000, 25000, 40000, 60000, 90000)),
                "plazo_compra": rng.choice(("Inmediato", "3 meses", "6 meses", "1 año o más")),
                "decide_solo": rng.random() < 0.55,
            }
            if rng.random() < 0.7
            else {},
            "tags": rng.sample(vocab.TAGS, k=rng.choice((0, 0, 1, 1, 2, 3))),
            "consent": rng.random() < 0.6,
            "company_index": rng.randrange(1_000_000_000) if rng.random() < 0.35 else None,
        }


def seed_contacts(
    count: int,
    *,
    seed: int = 1,
    batch_size: int = 5000,
    with_duplicates: int = 0,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Insert `count` synthetic contacts (plus their companies, tags and consents) in bulk."""
    structure = ensure_structure()
    owners = structure.owners
    tags = {name: Tag.objects.get_or_create(name=name)[0] for name in vocab.TAGS}
    company_count = max(1, count // 8)
    existing_companies = Company.objects.count()
    start = Contact.objects.count()
    if existing_companies < company_count:
        new_companies = []
        for j, values in enumerate(company_rows(company_count, seed)):
            if j < existing_companies:
                continue
            new_companies.append(
                Company(
                    owner=owners[j % len(owners)],
                    search_text=search_key(values["name"], values["domain"]),
                    created_via="seed",
                    **values,
                )
            )
        Company.objects.bulk_create(new_companies, batch_size=batch_size)
    company_ids = list(Company.objects.order_by("id").values_list("id", flat=True)[:company_count])
    created = 0
    rows = contact_rows(count, seed, start=start)
    while created < count:
        chunk = [next(rows) for _ in range(min(batch_size, count - created))]
        with transaction.atomic():
            contacts = []
            for n, row in enumerate(chunk):
                index = start + created + n
                contacts.append(
                    Contact(
                        owner=_owner_of(structure, row, index),
                        company_id=company_ids[row["company_index"] % len(company_ids)]
                        if row["company_index"] is not None
                        else None,
                        created_via="seed",
                        updated_at=row["created_at"],
                        search_text=search_key(
                            row["first_name"], row["last_name"], row["email"], row["phone"]
                        ),
                        **{
                            k: v
                            for k, v in row.items()
                            if k not in {"tags", "consent", "company_index"}
                        },
                    )
                )
            saved = Contact.objects.bulk_create(contacts, batch_size=batch_size)
            if saved and saved[0].pk is None:
                # SQLite before 3.35 returns no ids; fetch them by creation order instead.
                ids = list(
                    Contact.objects.order_by("-id").values_list("id", flat=True)[: len(saved)]
                )[::-1]
                for contact, pk in zip(saved, ids, strict=True):
                    contact.pk = pk
            through = Contact.tags.through
            through.objects.bulk_create(
                [
                    through(contact_id=c.pk, tag_id=tags[name].pk)
                    for c, row in zip(saved, chunk, strict=True)
                    for name in row["tags"]
                ],
                batch_size=batch_size,
            )
            Consent.objects.bulk_create(
                [
                    Consent(
                        contact_id=c.pk,
                        channel="email",
                        purpose="marketing",
                        status="granted",
                        recorded_at=row["created_at"],
                        source="Formulario webinar (landing)",
                        proof="Casilla de autorización de tratamiento de datos marcada; IP registrada.",
                    )
                    for c, row in zip(saved, chunk, strict=True)
                    if row["consent"]
                ],
                batch_size=batch_size,
            )
        created += len(chunk)
        if progress:
            progress(created)
    if with_duplicates:
        _add_duplicates(with_duplicates, seed, owners)
    return created


# Lifecycle stages of contacts who bought a plot: every third is handed over to Servicio.
POST_SALE_STAGES = ("customer", "evangelist")


def _owner_of(structure: DemoCompany, row: dict[str, Any], index: int) -> User:
    """Return the rep (or manager) who works the contact, or Servicio for a third of the owners."""
    if row["lifecycle_stage"] in POST_SALE_STAGES and index % 3 == 0:
        return structure.service
    return structure.owners[index % len(structure.owners)]


def _add_duplicates(pairs: int, seed: int, owners: list[User]) -> None:
    """Copy a few contacts with a variant of their name, as real imports produce."""
    rng = random.Random(f"duplicates-{seed}")
    originals = list(Contact.objects.exclude(email="").order_by("id")[: pairs * 7 : 7])
    copies = []
    for original in originals:
        first = (
            original.first_name.upper() if rng.random() < 0.5 else fold(original.first_name).title()
        )
        copies.append(
            Contact(
                first_name=first,
                last_name=original.last_name.split()[0],
                email=original.email,
                phone="",
                city=original.city,
                owner=original.owner,
                lifecycle_stage="lead",
                source="event",
                created_via="seed",
                search_text=search_key(first, original.last_name, original.email),
            )
        )
    Contact.objects.bulk_create(copies)


def demo_loaded() -> bool:
    """Whether the demo company was already loaded into this database."""
    return User.objects.filter(username="gerente").exists() and Contact.objects.exists()


def load_demo(contacts: int = 2000, seed: int = 2026) -> int:
    """Load the demo real-estate company once."""
    if demo_loaded():
        return 0
    created = seed_contacts(contacts, seed=seed, with_duplicates=12)
    from clientela.demo.orders import seed_orders

    seed_orders(seed=seed)
    from clientela.demo.segments import seed_story_two_birthdays

    seed_story_two_birthdays(seed=seed)
    from clientela.demo.webforms import seed_capture, seed_webinar_form

    webinar = seed_webinar_form(User.objects.get(username="mercadeo"))
    seed_capture(
        webinar,
        manager=User.objects.get(username="gerente"),
        marketer=User.objects.get(username="mercadeo"),
    )
    from clientela.demo.activities import seed_activities

    seed_activities(seed=seed)
    from clientela.demo.webforms import seed_lead_history

    seed_lead_history(webinar, seed=seed)
    from clientela.demo.tracking import seed_tracking

    seed_tracking(seed=seed)
    from clientela.demo.campaigns import seed_campaigns

    seed_campaigns(seed=seed)
    from clientela.demo.mailops import seed_suppressions

    seed_suppressions(seed=seed)
    from clientela.demo.deals import seed_deals

    seed_deals(seed=seed)
    from clientela.demo.sales import seed_sales_plan

    seed_sales_plan(seed=seed)
    from clientela.demo.activities import seed_stage_rules

    seed_stage_rules()
    from clientela.demo.catalog import seed_catalog

    seed_catalog(seed=seed)
    from clientela.demo.billing import seed_billing

    seed_billing(seed=seed)
    return created
