"""Web forms, their fields and consents, the consent texts' versions and the submissions."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clientela.contacts.choices import ConsentChannel, ConsentPurpose, LifecycleStage, Source
from clientela.webforms.choices import (
    AssignmentStrategy,
    ContactTarget,
    FieldKind,
    FormStatus,
    HiddenSource,
    LeadSourceKind,
    SubmissionSource,
    SubmissionState,
)


def new_token() -> str:
    """Return an unguessable URL-safe token of 128 bits (22 characters)."""
    return secrets.token_urlsafe(16)


def _in_language(spanish: str, english: str) -> str:
    """Return the text in the current language, else the other one."""
    first, second = (
        (english, spanish) if (get_language() or "es").startswith("en") else (spanish, english)
    )
    return first or second


class Form(models.Model):
    """A public form: its fields, consents, what a submission gets and where it is embedded."""

    public_id = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    name = models.CharField(_("name"), max_length=120)
    status = models.CharField(
        _("status"), max_length=10, choices=FormStatus.choices, default=FormStatus.DRAFT
    )
    language = models.CharField(_("default language"), max_length=2, default="es")
    thank_you_es = models.TextField(_("thank-you message in Spanish"), blank=True)
    thank_you_en = models.TextField(_("thank-you message in English"), blank=True)
    # Only to a host of settings.CLIENTELA["FORM_REDIRECT_HOSTS"] (checked by the service).
    redirect_url = models.URLField(_("redirect to"), max_length=500, blank=True)
    # What a submission gets: tags by name, a lifecycle stage (subscriber → lead) and a source.
    tags = models.JSONField(_("tags"), default=list, blank=True)
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=16,
        choices=LifecycleStage.choices,
        default=LifecycleStage.LEAD,
    )
    contact_source = models.CharField(
        _("contact source"), max_length=20, choices=Source.choices, default=Source.FORM
    )
    # Origins ("https://www.example.co") whose pages may embed the form (CORS, frame-ancestors).
    allowed_origins = models.JSONField(_("allowed embed origins"), default=list, blank=True)
    welcome_subject_es = models.CharField(
        _("welcome subject in Spanish"), max_length=200, blank=True
    )
    welcome_subject_en = models.CharField(
        _("welcome subject in English"), max_length=200, blank=True
    )
    welcome_body_es = models.TextField(_("welcome message in Spanish"), blank=True)
    welcome_body_en = models.TextField(_("welcome message in English"), blank=True)
    # Submissions refused as spam (honeypot, time trap, proof of work): counted, never stored.
    spam_count = models.PositiveIntegerField(_("spam refused"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        """Whether the form takes submissions."""
        return self.status == FormStatus.PUBLISHED

    def thank_you(self) -> str:
        """Return the thank-you message in the current language."""
        return _in_language(self.thank_you_es, self.thank_you_en)


class FormField(models.Model):
    """One field of a form: a contact field, a custom field or a hidden value."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="fields")
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=FieldKind.choices)
    target = models.CharField(
        _("contact field"), max_length=20, choices=ContactTarget.choices, blank=True
    )
    # The custom field a CUSTOM field fills (and where a HIDDEN value is kept, if anywhere).
    custom_field = models.ForeignKey(
        "contacts.CustomField",
        verbose_name=_("custom field"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    hidden_source = models.CharField(
        _("value from"), max_length=16, choices=HiddenSource.choices, blank=True
    )
    hidden_value = models.CharField(_("fixed value"), max_length=200, blank=True)
    required = models.BooleanField(_("required"), default=False)
    label_es = models.CharField(_("label in Spanish"), max_length=200, blank=True)
    label_en = models.CharField(_("label in English"), max_length=200, blank=True)
    help_es = models.CharField(_("help in Spanish"), max_length=300, blank=True)
    help_en = models.CharField(_("help in English"), max_length=300, blank=True)
    placeholder = models.CharField(_("placeholder"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")
        ordering = ["form", "position", "id"]

    def __str__(self) -> str:
        return self.input_name

    @property
    def input_name(self) -> str:
        """Return the name of the field's input in the public form and in JSON posts."""
        if self.kind == FieldKind.CONTACT:
            return self.target
        if self.kind == FieldKind.CUSTOM and self.custom_field is not None:
            return f"custom_{self.custom_field.key}"
        if self.kind == FieldKind.HIDDEN and self.hidden_source != HiddenSource.FIXED:
            return self.hidden_source
        return f"fixed_{self.pk}"

    def label(self) -> str:
        """Return the label in the current language (the field's own name when both are empty)."""
        text = _in_language(self.label_es, self.label_en)
        if text:
            return text
        if self.kind == FieldKind.CUSTOM and self.custom_field is not None:
            return self.custom_field.label
        if self.kind == FieldKind.CONTACT:
            return str(ContactTarget(self.target).label) if self.target else ""
        return self.input_name

    def help(self) -> str:
        """Return the help text in the current language."""
        return _in_language(self.help_es, self.help_en)


class FormConsent(models.Model):
    """A consent checkbox of a form: purpose, channel and a versioned legal text."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="consents")
    position = models.PositiveIntegerField(_("position"), default=0)
    purpose = models.CharField(_("purpose"), max_length=12, choices=ConsentPurpose.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=ConsentChannel.choices)
    required = models.BooleanField(_("required"), default=False)
    text_es = models.TextField(_("legal text in Spanish"))
    text_en = models.TextField(_("legal text in English"), blank=True)
    # Goes up by one each time a text changes; ConsentText keeps every version.
    version = models.PositiveIntegerField(_("text version"), default=1)

    class Meta:
        verbose_name = _("form consent")
        verbose_name_plural = _("form consents")
        ordering = ["form", "position", "id"]

    def __str__(self) -> str:
        return f"{self.purpose}/{self.channel} v{self.version}"

    @property
    def input_name(self) -> str:
        """Return the name of the consent's checkbox."""
        return f"consent_{self.pk}"

    @property
    def needs_double_opt_in(self) -> bool:
        """Whether the consent becomes active only after the confirmation link is clicked."""
        return self.purpose == ConsentPurpose.MARKETING

    def text(self) -> str:
        """Return the legal text in the current language."""
        return _in_language(self.text_es, self.text_en)


class ConsentText(models.Model):
    """One version of a consent's legal text, kept so every proof points at the exact words."""

    consent = models.ForeignKey(FormConsent, on_delete=models.CASCADE, related_name="texts")
    version = models.PositiveIntegerField()
    text_es = models.TextField()
    text_en = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        ordering = ["consent", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["consent", "version"], name="consenttext_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.consent_id} v{self.version}"


class Submission(models.Model):
    """One submission, its raw payload stored first exactly as received, then processed."""

    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="submissions")
    reference = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    payload = models.JSONField(_("payload"), default=dict)
    source = models.CharField(
        _("source"), max_length=10, choices=SubmissionSource.choices, default=SubmissionSource.FORM
    )
    state = models.CharField(
        _("state"), max_length=10, choices=SubmissionState.choices, default=SubmissionState.RECEIVED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    language = models.CharField(_("language"), max_length=2, default="es")
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    page_url = models.CharField(_("page"), max_length=1000, blank=True)
    referrer = models.CharField(_("referrer"), max_length=1000, blank=True)
    # The tracking script's anonymous visitor id (hidden field `clientela_visitor`).
    visitor_id = models.CharField(_("visitor id"), max_length=64, blank=True)
    # One submission per rendered form: a double click or a retried post finds this one.
    idempotency_key = models.CharField(max_length=64, blank=True)
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="form_submissions",
    )
    created_at = models.DateTimeField(_("received"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    # When the follow-up work ran (assignment, welcome e-mails, the visitor's history): in the
    # worker, after the visitor already has the answer.
    followed_up_at = models.DateTimeField(_("followed up"), null=True, blank=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["form", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="submission_idempotency_unique",
            )
        ]
        indexes = [
            models.Index(fields=["form", "-created_at"], name="submission_form_idx"),
            models.Index(fields=["state", "created_at"], name="submission_state_idx"),
            models.Index(fields=["contact", "-created_at"], name="submission_contact_idx"),
        ]

    def __str__(self) -> str:
        return self.reference


class PendingConsent(models.Model):
    """A marketing consent waiting for its confirmation click (double opt-in), then its proof."""

    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    form_consent = models.ForeignKey(FormConsent, on_delete=models.CASCADE, related_name="+")
    text_version = models.PositiveIntegerField()
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirm_ip = models.GenericIPAddressField(null=True, blank=True)
    confirm_user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("consent awaiting confirmation")
        verbose_name_plural = _("consents awaiting confirmation")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.form_consent_id} v{self.text_version}"


class AssignmentRule(models.Model):
    """A lead-routing rule: which leads it takes (criteria) and how it picks their rep."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # Lists of accepted values per criterion (webforms.routing.CRITERIA); empty accepts all.
    criteria = models.JSONField(_("criteria"), default=dict, blank=True)
    strategy = models.CharField(
        _("strategy"),
        max_length=12,
        choices=AssignmentStrategy.choices,
        default=AssignmentStrategy.ROUND_ROBIN,
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("reps"), blank=True, related_name="+"
    )
    fixed_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    fallback_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("fallback owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sla_hours = models.PositiveIntegerField(_("hours to first contact"), default=24)
    task_es = models.CharField(
        _("task in Spanish"), max_length=200, default="Llamar dentro de 24 h", blank=True
    )
    task_en = models.CharField(
        _("task in English"), max_length=200, default="Call within 24 h", blank=True
    )
    # Round robin's place: who got this rule's last lead (read and written under a row lock).
    last_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def task_text(self, language: str) -> str:
        """Return the rep's task in `language` (the other one when it is empty)."""
        first, second = (
            (self.task_en, self.task_es) if language == "en" else (self.task_es, self.task_en)
        )
        return first or second


class LeadAssignment(models.Model):
    """Who got a lead, by which rule, when, and by when the first contact is due."""

    submission = models.OneToOneField(
        Submission, on_delete=models.CASCADE, related_name="assignment"
    )
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(
        AssignmentRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(_("source"), max_length=20, blank=True)
    submitted_at = models.DateTimeField(_("received"))
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)
    due_at = models.DateTimeField(_("first contact due"))
    task = models.ForeignKey(
        "activities.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("lead assignment")
        verbose_name_plural = _("lead assignments")
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["submitted_at"], name="assignment_submitted_idx"),
            models.Index(fields=["owner", "submitted_at"], name="assignment_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} → {self.owner_id}"


def new_secret() -> str:
    """Return a shared secret of 256 bits for a webhook's signature or verify token."""
    return secrets.token_urlsafe(32)


class LeadSource(models.Model):
    """An ad platform or system that posts leads to Clientela, each into one of our forms.

    Its URL names it by an unguessable public id; what proves a request is the sender's is the
    protocol's own secret (Meta's app secret, Google's key, our HMAC secret), kept here.
    """

    public_id = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=LeadSourceKind.choices)
    form = models.ForeignKey(
        Form,
        verbose_name=_("form"),
        on_delete=models.PROTECT,
        related_name="lead_sources",
        help_text=_("Its fields, tags, stage and welcome message apply to these leads."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Meta: the verify token of the handshake, the app secret signing notifications, and the
    # page access token that reads leads from the Graph API.
    verify_token = models.CharField(max_length=64, default=new_secret, editable=False)
    app_secret = models.CharField(_("app secret"), max_length=200, blank=True)
    access_token = models.TextField(_("page access token"), blank=True)
    # Google: the key typed into the lead form's webhook settings. Generic: the HMAC secret.
    secret = models.CharField(max_length=64, default=new_secret, editable=False)
    # Generic webhook: contact field -> dotted path in the JSON, and where the lead's id is.
    mapping = models.JSONField(_("field mapping"), default=dict, blank=True)
    id_path = models.CharField(_("lead id path"), max_length=200, blank=True)
    received = models.PositiveIntegerField(_("leads received"), default=0)
    refused = models.PositiveIntegerField(_("requests refused"), default=0)
    last_received_at = models.DateTimeField(_("last lead"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("lead source")
        verbose_name_plural = _("lead sources")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class LandingPage(models.Model):
    """A simple page of blocks (heading, text, image, form, button, video link) at /p/<slug>."""

    slug = models.SlugField(_("address"), max_length=80, unique=True)
    title_es = models.CharField(_("title in Spanish"), max_length=200, blank=True)
    title_en = models.CharField(_("title in English"), max_length=200, blank=True)
    description_es = models.CharField(_("description in Spanish"), max_length=300, blank=True)
    description_en = models.CharField(_("description in English"), max_length=300, blank=True)
    language = models.CharField(_("default language"), max_length=2, default="es")
    status = models.CharField(
        _("status"), max_length=10, choices=FormStatus.choices, default=FormStatus.DRAFT
    )
    # Cleaned by webforms.pages.clean_blocks before it is stored: never raw author input.
    blocks = models.JSONField(_("blocks"), default=list, blank=True)
    views = models.PositiveBigIntegerField(_("views"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("landing page")
        verbose_name_plural = _("landing pages")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title() or self.slug

    def title(self) -> str:
        """Return the title in the current language (the other one when it is empty)."""
        return _in_language(self.title_es, self.title_en)

    @property
    def is_published(self) -> bool:
        """Whether visitors can open the page."""
        return self.status == FormStatus.PUBLISHED


class PageImage(models.Model):
    """An image for landing pages, re-encoded on upload (webforms.images), served by token."""

    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    name = models.CharField(_("name"), max_length=200, blank=True)
    # Kept in the database: a few hundred KB each after re-encoding, backed up with the rest.
    data = models.BinaryField()
    extension = models.CharField(max_length=4)
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("page image")
        verbose_name_plural = _("page images")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.name or self.token
