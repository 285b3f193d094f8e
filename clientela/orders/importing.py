"""Order import from CSV/XLSX: the same JSON summary as the contacts import.

One row is one order. Columns are recognised by name in Spanish or English (see COLUMNS).
Each row's customer is found among the contacts the importing user may see — by the
contact's external id, then e-mail, then phone — or, with ``create_missing``, created from the
row's name, e-mail and phone. The file is read in batches, each saved in one transaction with
the job's checkpoint, so a killed import resumes after its last committed batch. Running the
same file twice changes nothing: an order is found again by its external id (per source
system) or, without one, by its customer, date, amount and currency.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.accounts.models import User
from clientela.contacts import services as contact_services
from clientela.contacts.models import Contact
from clientela.contacts.normalize import InvalidValue, fold, normalize_email, normalize_phone
from clientela.contacts.queries import contacts_visible_to
from clientela.core.exceptions import Forbidden, ValidationFailed
from clientela.core.importers import MappedRows, WriteBatch, run_for_starter, run_in_batches
from clientela.core.imports import BatchOutcome, finish_job
from clientela.core.models import Job, JobState
from clientela.core.tabular import Record, Table, open_table, parse_datetime, parse_decimal
from clientela.orders.choices import PURCHASE_VERB, Channel, OrderVia
from clientela.orders.models import ExchangeRate, Order
from clientela.orders.queries import CENT, can_import, company_currency
from clientela.timeline.choices import Via
from clientela.timeline.services import build_event, record_events

KIND = "import_orders"
# target -> header names it is recognised by (compared folded: no accents, lower case).
COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("external id", "external_id", "order id", "order", "id pedido", "pedido",
                    "numero de pedido", "factura", "invoice", "numero", "no pedido"),
    "ordered_at": ("date", "ordered at", "ordered_at", "order date", "fecha", "fecha pedido",
                   "fecha de compra", "fecha compra"),
    "amount": ("amount", "total", "monto", "valor", "importe", "valor total", "total pedido"),
    "currency": ("currency", "moneda", "divisa"),
    "cost": ("cost", "costo", "coste", "costo total"),
    "margin": ("margin", "margen", "utilidad"),
    "channel": ("channel", "canal", "canal de venta", "origen"),
    "customer_id": ("customer id", "customer_id", "id cliente", "codigo cliente", "cliente id"),
    "email": ("email", "e-mail", "correo", "correo electronico", "mail"),
    "phone": ("phone", "telefono", "celular", "movil", "whatsapp"),
    "name": ("name", "customer", "nombre", "cliente", "nombre cliente", "customer name"),
    "note": ("note", "nota", "notes", "notas", "observaciones"),
}  # fmt: skip
IDENTITY = ("customer_id", "email", "phone")


@dataclass
class OrderImportResult:
    """What an order import did; `errors` lists every rejected row's line, column and reason."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    job_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the CLI's JSON object (the same keys as the contacts import)."""
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
        }


def detect_columns(
    headers: Iterable[str], columns: Mapping[str, tuple[str, ...]]
) -> dict[str, str]:
    """{target: header} for the headers named as `columns` says; the first header wins."""
    mapping: dict[str, str] = {}
    for header in headers:
        key = " ".join(fold(header).replace("_", " ").split())
        for target, names in columns.items():
            if target not in mapping and (key in names or key.replace(" ", "_") in names):
                mapping[target] = header
                break
    return mapping


def detect_mapping(headers: Iterable[str]) -> dict[str, str]:
    """{target: header} for the order columns recognised; the first header wins a target."""
    return detect_columns(headers, COLUMNS)


CHANNEL_NAMES: dict[str, str] = {}
# Words shops use for their sales channels, beyond the channels' own names.
CHANNEL_SYNONYMS = {
    "walk_in": ("tienda", "tienda fisica", "punto de venta", "pos", "store", "shop", "local"),
    "website": ("web", "sitio web", "pagina web", "tienda online", "tienda en linea", "online",
                "ecommerce", "e-commerce"),
    "google_ads": ("google", "adwords"),
    "facebook": ("fb", "meta"),
    "instagram": ("ig",),
    "referral": ("referido", "recomendacion", "referidos"),
    "event": ("evento", "feria"),
    "phone": ("telefono", "llamada"),
    "email": ("correo", "mail", "e-mail"),
    "form": ("formulario", "landing"),
}  # fmt: skip


def channel_code(text: str) -> str | None:
    """Return a channel code from its code or its Spanish or English name; None when unknown."""
    if not CHANNEL_NAMES:
        from django.utils import translation

        for code, words in CHANNEL_SYNONYMS.items():
            for word in words:
                CHANNEL_NAMES[fold(word)] = code
        for code, label in Channel.choices:
            CHANNEL_NAMES[fold(code)] = code
            for language in ("es", "en"):
                with translation.override(language):
                    CHANNEL_NAMES[fold(str(label))] = code
    return CHANNEL_NAMES.get(fold(text).replace("-", " ").strip()) or CHANNEL_NAMES.get(
        fold(text).strip()
    )


class RateBook:
    """Every exchange rate in memory, to convert a batch without a query per row."""

    def __init__(self) -> None:
        self.days: dict[str, list[dt.date]] = {}
        self.rates: dict[str, list[Decimal]] = {}
        for currency, day, rate in ExchangeRate.objects.order_by("currency", "date").values_list(
            "currency", "date", "rate"
        ):
            self.days.setdefault(currency, []).append(day)
            self.rates.setdefault(currency, []).append(rate)

    def rate(self, currency: str, day: dt.date) -> Decimal | None:
        """Return the rate in force on `day`, or None."""
        if currency == company_currency():
            return Decimal(1)
        days = self.days.get(currency, [])
        index = bisect.bisect_right(days, day) - 1
        return self.rates[currency][index] if index >= 0 else None


class RowError(Exception):
    """A row that cannot be imported: its column and reason."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


class OrderImport(MappedRows):
    """One run over a file: parse, match customers, save new orders in batches."""

    def __init__(
        self,
        *,
        actor: User,
        job: Job,
        headers: list[str],
        mapping: Mapping[str, str],
        options: Mapping[str, Any],
    ) -> None:
        self.actor = actor
        self.job = job
        self.mapping = dict(mapping)
        self.headers = headers
        self.dry_run = bool(options.get("dry_run"))
        self.update_existing = bool(options.get("update_existing"))
        self.create_missing = bool(options.get("create_missing"))
        self.source_system = str(options.get("source_system") or "")[:40]
        self.via = options.get("via") or Via.IMPORT
        self.region = str(settings.CLIENTELA["DEFAULT_PHONE_REGION"])
        self.tz = timezone.get_current_timezone()
        self.rates = RateBook()
        self.visible = contacts_visible_to(actor)
        self.result = OrderImportResult(job_id=job.pk)
        # Keys of the orders this run already saved or found: a repeated row is unchanged.
        self.seen: set[tuple[Any, ...]] = set()
        # The batch being processed: its counts and rejected rows, saved with its checkpoint.
        self.outcome = BatchOutcome()

    # -- parsing one row -------------------------------------------------------------------

    def parse(self, record: Record) -> dict[str, Any]:
        """Order values of a row (without its customer); RowError when a value is wrong."""
        raw_date = self.value(record, "ordered_at")
        if not raw_date:
            raise RowError(self.column("ordered_at"), _("The date is missing."))
        try:
            moment = parse_datetime(raw_date, tz=self.tz)
        except ValueError as exc:
            raise RowError(self.column("ordered_at"), str(exc)) from exc
        assert moment is not None
        if moment.hour == 0 and moment.minute == 0 and len(raw_date) <= 10:
            moment = moment.replace(hour=12)  # a date alone: midday keeps it on that day
        if moment > timezone.now() + dt.timedelta(days=1):
            raise RowError(self.column("ordered_at"), _("An order cannot be dated in the future."))
        amount = self.money(record, "amount", required=True)
        assert amount is not None
        currency = (self.value(record, "currency") or company_currency()).upper()
        if len(currency) != 3 or not currency.isalpha():
            raise RowError(
                self.column("currency"), _("Use a three-letter currency code such as COP or USD.")
            )
        day = timezone.localtime(moment, self.tz).date()
        rate = self.rates.rate(currency, day)
        if rate is None:
            raise RowError(
                self.column("currency"),
                _("There is no exchange rate for %(currency)s on or before %(date)s.")
                % {"currency": currency, "date": day.isoformat()},
            )
        cost = self.money(record, "cost", required=False)
        margin = self.money(record, "margin", required=False)
        if cost is None and margin is not None:
            cost = amount - margin
        channel = ""
        if self.value(record, "channel"):
            found = channel_code(self.value(record, "channel"))
            if found is None:
                raise RowError(self.column("channel"), _("Unknown channel."))
            channel = found
        return {
            "ordered_at": moment,
            "ordered_on": day,
            "amount": amount,
            "currency": currency,
            "exchange_rate": rate,
            "amount_company_currency": (amount * rate).quantize(CENT, ROUND_HALF_UP),
            "cost": cost,
            "cost_company_currency": None
            if cost is None
            else (cost * rate).quantize(CENT, ROUND_HALF_UP),
            "channel": channel,
            "external_id": self.value(record, "external_id")[:100],
            "note": self.value(record, "note")[:300],
        }

    def money(self, record: Record, target: str, *, required: bool) -> Decimal | None:
        """Return a non-negative amount of a row."""
        text = self.value(record, target)
        if not text:
            if required:
                raise RowError(self.column(target), _("The amount is missing."))
            return None
        try:
            number = parse_decimal(text)
        except ValueError as exc:
            raise RowError(self.column(target), str(exc)) from exc
        if number is None or number < 0:
            raise RowError(self.column(target), _("Enter an amount of zero or more."))
        return number.quantize(CENT, ROUND_HALF_UP)

    # -- customers ---------------------------------------------------------------------------

    def find_customer(self, record: Record) -> tuple[int | None, str, str, str]:
        """Return a row's visible contact id (None when unknown) with its clean e-mail and phone."""
        external = self.value(record, "customer_id")
        email = self.value(record, "email")
        phone = self.value(record, "phone")
        try:
            email = normalize_email(email) if email else ""
        except InvalidValue as exc:
            raise RowError(self.column("email"), str(exc)) from exc
        try:
            phone = normalize_phone(phone, self.region) if phone else ""
        except InvalidValue as exc:
            raise RowError(self.column("phone"), str(exc)) from exc
        for lookup, value in (("external_id", external), ("email", email), ("phone", phone)):
            if not value:
                continue
            found = (
                self.visible.filter(**{lookup: value}).order_by("id").values_list("id", flat=True)
            )
            first = found.first()
            if first is not None:
                return first, email, phone, external
            if Contact.objects.filter(deleted_at__isnull=True, **{lookup: value}).exists():
                raise RowError(
                    self.column(lookup if lookup != "external_id" else "customer_id"),
                    _("This customer exists but is owned by someone outside your scope."),
                )
        if not (external or email or phone):
            raise RowError(_("customer"), _("Give the customer's e-mail, phone or customer id."))
        if not self.create_missing:
            raise RowError(
                self.column("email" if email else "phone" if phone else "customer_id"),
                _("No contact matches this customer; import them first or allow creating them."),
            )
        return None, email, phone, external

    def customer(self, record: Record) -> int:
        """Return the contact id of a row's customer (found, or created when allowed)."""
        found, email, phone, external = self.find_customer(record)
        if found is not None:
            return found
        return self.create_contact(record, email, phone, external)

    def create_contact(self, record: Record, email: str, phone: str, external: str) -> int:
        """Create a contact for an unknown customer (owned by the importing user); return its id."""
        name = self.value(record, "name").split()
        data = {
            "first_name": " ".join(name[:1]),
            "last_name": " ".join(name[1:]),
            "email": email,
            "phone": phone,
            "external_id": external,
        }
        try:
            contact = contact_services.create_contact(actor=self.actor, data=data, via=Via.IMPORT)
        except ValidationFailed as exc:
            column, messages = next(iter(exc.errors.items()))
            raise RowError(self.column(column), " ".join(messages)) from exc
        self.visible = contacts_visible_to(self.actor)
        return contact.pk

    # -- batches -------------------------------------------------------------------------------

    def existing(self, values: dict[str, Any], contact_id: int) -> Order | None:
        """Return the order this row already is, by external id, else by customer/date/amount."""
        if values["external_id"]:
            return Order.objects.filter(
                source_system=self.source_system, external_id=values["external_id"]
            ).first()
        return Order.objects.filter(
            contact_id=contact_id,
            ordered_at=values["ordered_at"],
            amount=values["amount"],
            currency=values["currency"],
        ).first()

    def write(self, records: list[Record], out: BatchOutcome) -> None:
        """Save one batch (its new orders, updates and rejected rows) with the checkpoint."""
        new: list[Order] = []
        self.outcome = out
        for record in records:
            self.result.rows += 1
            out.rows += 1
            if record.problems:
                self.reject(record, "", " ".join(record.problems))
                continue
            try:
                values = self.parse(record)
                contact_id = self.customer(record)
            except RowError as exc:
                self.reject(record, exc.column, exc.reason)
                continue
            key: tuple[Any, ...] = (
                ("x", values["external_id"])
                if values["external_id"]
                else (contact_id, values["ordered_at"], values["amount"], values["currency"])
            )
            if key in self.seen:
                self.result.unchanged += 1
                out.unchanged += 1
                continue
            self.seen.add(key)
            current = self.existing(values, contact_id)
            if current is None:
                new.append(
                    Order(
                        contact_id=contact_id,
                        source_system=self.source_system,
                        created_via=OrderVia.IMPORT,
                        created_by=self.actor,
                        import_job=self.job,
                        **values,
                    )
                )
                continue
            changed = {k: v for k, v in values.items() if getattr(current, k) != v}
            if current.contact_id != contact_id:
                changed["contact_id"] = contact_id
            if not changed or not self.update_existing:
                self.result.unchanged += 1
                out.unchanged += 1
                continue
            Order.objects.filter(pk=current.pk).update(
                **changed, updated_at=timezone.now(), version=current.version + 1
            )
            self.result.updated += 1
            out.updated += 1
        saved = Order.objects.bulk_create(new, batch_size=1000)
        self.result.created += len(saved)
        out.created += len(saved)
        if saved and saved[0].pk is not None:
            record_events(
                build_event(
                    PURCHASE_VERB,
                    actor=self.actor,
                    target=order,
                    via=Via.IMPORT,
                    contact_id=order.contact_id,
                    data={
                        "amount": str(order.amount),
                        "currency": order.currency,
                        "ordered_on": order.ordered_on.isoformat(),
                        "import_job": self.job.pk,
                    },
                    at=order.ordered_at,
                )
                for order in saved
            )

    def reject(self, record: Record, column: str, reason: str) -> None:
        """Keep a rejected row's line, column, reason and original cells (saved with the batch)."""
        self.result.errors.append({"line": record.line, "column": column, "reason": reason})
        super().reject(record, column, reason)


def required_columns(mapping: Mapping[str, str]) -> dict[str, list[str]]:
    """Return what a mapping ({target: header}) lacks as field messages (empty when complete)."""
    errors: dict[str, list[str]] = {}
    if not mapping.get("ordered_at"):
        errors["ordered_at"] = [_("Choose the column that holds the order date.")]
    if not mapping.get("amount"):
        errors["amount"] = [_("Choose the column that holds the amount.")]
    if not any(mapping.get(target) for target in IDENTITY):
        errors["customer"] = [_("Choose a column with the customer's e-mail, phone or id.")]
    return errors


def require_import(actor: User) -> None:
    """Forbidden unless the actor may import (the import and write capabilities)."""
    if not can_import(actor):
        raise Forbidden(_("Your role cannot import records."))


def import_orders(
    *,
    actor: User,
    path: Path,
    filename: str | None = None,
    dry_run: bool = False,
    update_existing: bool = False,
    create_missing: bool = False,
    source_system: str = "",
    via: str = Via.IMPORT,
    batch_size: int = 1000,
    job: Job | None = None,
) -> OrderImportResult:
    """Import a file of orders now; resumes `job` after its checkpoint when one is given.

    The columns are recognised by name (detect_mapping). The file stays where it is; the job
    records it and its options, and runs through the same path as an import from the screens.
    """
    require_import(actor)
    with open_table(path, filename=filename or path.name) as table:
        headers, total = table.headers, table.estimated_rows()
    mapping = detect_mapping(headers)
    if required_columns(mapping):
        wanted = [_("a date"), _("an amount"), _("the customer's e-mail, phone or id")]
        raise ValidationFailed(
            {"file": [_("The file needs columns for %(what)s.") % {"what": ", ".join(wanted)}]}
        )
    options = {
        "dry_run": dry_run,
        "update_existing": update_existing,
        "create_missing": create_missing,
        "source_system": source_system,
        "via": via,
        "filename": filename or path.name,
        "headers": headers,
        "mapping": mapping,
        "stage": "queued",
    }
    if job is None:
        job = Job.objects.create(
            kind=KIND,
            created_by=actor,
            file=str(path.resolve()),
            options=options,
            total=total,
        )
    else:
        job.file = job.file or str(path.resolve())
        job.options = {**options, **job.options}
        job.save(update_fields=["file", "options"])
    Job.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, started_at=job.started_at or timezone.now()
    )
    return run_job(job, actor=actor, batch_size=batch_size)


def run_job(job: Job, *, actor: User, batch_size: int | None = None) -> OrderImportResult:
    """Process an order import job from its checkpoint to the end with its stored options.

    A dry run's batches are rolled back (new orders are counted, nothing stays) but their
    rejected rows are kept for the preview.
    """
    require_import(actor)
    options = job.options
    size = batch_size or int(str(settings.CLIENTELA.get("ORDER_IMPORT_BATCH_SIZE", 1000)))
    runs: list[OrderImport] = []

    def start(table: Table) -> WriteBatch:
        run = OrderImport(
            actor=actor,
            job=job,
            headers=table.headers,
            mapping=options.get("mapping") or {},
            options=options,
        )
        runs.append(run)
        return run.write

    run_in_batches(job, size=size, start=start)
    finish_job(job)
    return runs[0].result


def run_order_import(job_id: int, *, force: bool = False) -> OrderImportResult | None:
    """Claim an order import job and run it (the worker's task); None if another worker has it."""
    return run_for_starter(
        job_id,
        kind=KIND,
        work=run_job,
        forbidden=gettext_lazy("Your role cannot import records."),
        force=force,
    )
