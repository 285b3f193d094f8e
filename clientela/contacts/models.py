"""Contacts, companies, tags, custom fields, consent and merges."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

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
from clientela.contacts.entities import entity_choices


class Tag(models.Model):
    """A free label put on contacts and companies."""

    name = models.CharField(_("name"), max_length=60)
    color = models.CharField(_("colour"), max_length=7, default="#64748b")

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="tag_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class CustomField(models.Model):
    """An admin-defined field on a registered record type; values live in its `custom` JSON."""

    # Contacts and companies, and the record types apps above register (contacts.entities).
    entity = models.CharField(
        _("record type"), max_length=10, choices=entity_choices, default=Entity.CONTACT
    )
    key = models.SlugField(_("key"), max_length=50)
    # The label in each interface language; a reader gets the other one when theirs is empty.
    label_es = models.CharField(_("label in Spanish"), max_length=100, blank=True)
    label_en = models.CharField(_("label in English"), max_length=100, blank=True)
    field_type = models.CharField(_("type"), max_length=10, choices=CustomFieldType.choices)
    # The options' stored values (written in Spanish, as records keep them) and, position by
    # position, how each reads in English ("" where it reads the same).
    choices = models.JSONField(_("choices"), default=list, blank=True)
    choices_en = models.JSONField(_("choices in English"), default=list, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["entity", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "key"], name="customfield_entity_key_unique")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The label in the reader's language, else in the other one."""
        english = (get_language() or "es").startswith("en")
        first, second = (
            (self.label_en, self.label_es) if english else (self.label_es, self.label_en)
        )
        return first or second or self.key

    @label.setter
    def label(self, text: str) -> None:
        """One label for both languages (until someone translates it)."""
        self.label_es = self.label_en = text

    def option_label(self, value: Any) -> str:
        """How a stored option reads in the reader's language (the value itself by default)."""
        text = "" if value is None else str(value)
        if (get_language() or "es").startswith("en"):
            options = [str(c) for c in self.choices or []]
            english = list(self.choices_en or [])
            if text in options:
                position = options.index(text)
                if position < len(english) and english[position]:
                    return str(english[position])
        return text

    def options(self) -> list[tuple[str, str]]:
        """Return (stored value, label in the reader's language) of every option."""
        return [(str(c), self.option_label(c)) for c in self.choices or []]


class RecordBase(models.Model):
    """Fields shared by contacts and companies: owner, tags, custom values, soft delete, version."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # covered by the (owner, ...) composite indexes of each model
    )
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, default="CO")
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    search_text = models.TextField(editable=False, blank=True, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_via = models.CharField(max_length=16, default="ui")
    import_job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


class Company(RecordBase):
    """An organisation the business sells to."""

    name = models.CharField(_("name"), max_length=200)
    tax_id = models.CharField(_("tax id (NIT)"), max_length=40, blank=True)
    domain = models.CharField(_("web domain"), max_length=200, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)  # E.164 [;ext=…]
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="companies")

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name"], name="company_name_idx"),
            models.Index(fields=["owner", "name"], name="company_owner_name_idx"),
            models.Index(fields=["domain"], name="company_domain_idx"),
            # The trash: only deleted rows, newest first (tiny next to the live table).
            models.Index(
                fields=["-deleted_at", "-id"],
                name="company_trash_idx",
                condition=models.Q(deleted_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(RecordBase):
    """A person: lead, customer or anyone in between."""

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)  # E.164 [;ext=…]
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    language = models.CharField(_("preferred language"), max_length=5, default="es")
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=16,
        choices=LifecycleStage.choices,
        default=LifecycleStage.LEAD,
    )
    lead_status = models.CharField(
        _("lead status"), max_length=16, choices=LeadStatus.choices, blank=True
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    first_utm_source = models.CharField(_("first touch: UTM source"), max_length=100, blank=True)
    first_utm_medium = models.CharField(_("first touch: UTM medium"), max_length=100, blank=True)
    first_utm_campaign = models.CharField(
        _("first touch: UTM campaign"), max_length=150, blank=True
    )
    first_utm_term = models.CharField(_("first touch: UTM term"), max_length=100, blank=True)
    first_utm_content = models.CharField(_("first touch: UTM content"), max_length=100, blank=True)
    first_touch_at = models.DateTimeField(_("first touch"), null=True, blank=True)
    last_utm_source = models.CharField(_("last touch: UTM source"), max_length=100, blank=True)
    last_utm_medium = models.CharField(_("last touch: UTM medium"), max_length=100, blank=True)
    last_utm_campaign = models.CharField(_("last touch: UTM campaign"), max_length=150, blank=True)
    last_utm_term = models.CharField(_("last touch: UTM term"), max_length=100, blank=True)
    last_utm_content = models.CharField(_("last touch: UTM content"), max_length=100, blank=True)
    last_touch_at = models.DateTimeField(_("last touch"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="contacts")
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["email"], name="contact_email_idx"),
            models.Index(fields=["phone"], name="contact_phone_idx"),
            models.Index(fields=["-created_at", "-id"], name="contact_created_idx"),
            models.Index(fields=["owner", "-created_at"], name="contact_owner_created_idx"),
            models.Index(fields=["last_name", "first_name"], name="contact_name_idx"),
            # Live contacts by stage and owner, both ways round: the list's commonest filters
            # ("my customers", "all leads") count from the index alone, without the table.
            models.Index(
                fields=["lifecycle_stage", "owner"],
                name="contact_live_stage_idx",
                condition=models.Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["owner", "lifecycle_stage"],
                name="contact_live_owner_idx",
                condition=models.Q(deleted_at__isnull=True),
            ),
            models.Index(fields=["source"], name="contact_source_idx"),
            models.Index(fields=["-updated_at", "-id"], name="contact_updated_idx"),
            # The trash: only deleted rows, newest first (tiny next to the live table).
            models.Index(
                fields=["-deleted_at", "-id"],
                name="contact_trash_idx",
                condition=models.Q(deleted_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or self.phone or f"#{self.pk}"

    @property
    def full_name(self) -> str:
        """First and last name joined."""
        return f"{self.first_name} {self.last_name}".strip()


class Consent(models.Model):
    """One recorded consent decision for a channel and purpose, with its proof (append-only)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=10, choices=ConsentChannel.choices)
    purpose = models.CharField(_("purpose"), max_length=12, choices=ConsentPurpose.choices)
    status = models.CharField(_("status"), max_length=10, choices=ConsentStatus.choices)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    source = models.CharField(_("source"), max_length=200, blank=True)
    proof = models.TextField(_("proof"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(
                fields=["contact", "channel", "purpose", "-recorded_at"], name="consent_lookup_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}/{self.purpose}: {self.status}"


class Note(models.Model):
    """A free-text note on a contact or company."""

    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.body[:60]


class Merge(models.Model):
    """A merge of one record into another, with what is needed to undo it."""

    entity = models.CharField(max_length=10, choices=Entity.choices, default=Entity.CONTACT)
    survivor_id = models.BigIntegerField()
    merged_id = models.BigIntegerField()
    survivor_before = models.JSONField(default=dict)
    moved = models.JSONField(default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["entity", "survivor_id"], name="merge_survivor_idx")]

    def __str__(self) -> str:
        return f"{self.entity} {self.merged_id} → {self.survivor_id}"


class DuplicateKind(models.TextChoices):
    """Why contacts look like the same person."""

    EMAIL = "email", _("same e-mail")
    PHONE = "phone", _("same phone")
    NAME = "name", _("similar name at the same company")


class DuplicateGroup(models.Model):
    """Contacts that look like the same person (precomputed; see clientela.contacts.duplicates).

    Kept by a full rebuild on a schedule plus a catch-up for the contacts changed since, so the
    duplicates page never groups a million contacts per request.
    """

    kind = models.CharField(max_length=5, choices=DuplicateKind.choices)
    # The shared e-mail or E.164 phone; for names "<company id>:<folded name of the group>".
    key = models.CharField(max_length=300)
    # Live contacts in the group, whoever owns them (orders the page of users who see all).
    size = models.PositiveIntegerField()
    # Name groups are rebuilt per company when one of its contacts changes.
    company_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("duplicate group")
        verbose_name_plural = _("duplicate groups")
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="duplicategroup_key_unique")
        ]
        indexes = [
            models.Index(fields=["-size", "kind", "key"], name="duplicategroup_size_idx"),
            models.Index(
                fields=["company_id"],
                name="duplicategroup_company_idx",
                condition=models.Q(company_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.size})"


class DuplicateMember(models.Model):
    """One live contact of a DuplicateGroup."""

    # Members are always deleted before their group, in the same transaction.
    group = models.ForeignKey(DuplicateGroup, on_delete=models.DO_NOTHING, related_name="members")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    # The contact's owner when the group was built: picks the groups to show a user who sees
    # only some owners; what is shown is always re-checked against the contact itself.
    owner_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["group", "contact"], name="duplicatemember_unique")
        ]
        indexes = [models.Index(fields=["owner_id", "group"], name="duplicatemember_owner_idx")]

    def __str__(self) -> str:
        return f"{self.group_id}: {self.contact_id}"


class DuplicateScan(models.Model):
    """The one row telling up to when DuplicateMember reflects the contacts."""

    # Contacts changed before this moment (less a safety lag) are reflected.
    synced_through = models.DateTimeField(null=True, blank=True)
    # Contacts changed just before synced_through that the last catch-up already handled.
    recent_ids = models.JSONField(default=list, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    # A background catch-up was asked for and has not run yet.
    queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("duplicate scan")
        verbose_name_plural = _("duplicate scans")

    def __str__(self) -> str:
        return f"duplicates synced through {self.synced_through}"
