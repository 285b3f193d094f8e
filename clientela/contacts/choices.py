"""Choices for contacts and companies."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LifecycleStage(models.TextChoices):
    """The customer lifecycle, in order."""

    SUBSCRIBER = "subscriber", _("Subscriber")
    LEAD = "lead", _("Lead")
    MQL = "mql", _("Marketing qualified lead")
    SQL = "sql", _("Sales qualified lead")
    OPPORTUNITY = "opportunity", _("Opportunity")
    CUSTOMER = "customer", _("Customer")
    EVANGELIST = "evangelist", _("Promoter")


class LeadStatus(models.TextChoices):
    """Where a lead stands in the rep's work."""

    NEW = "new", _("New")
    ATTEMPTED = "attempted", _("Attempted to contact")
    CONNECTED = "connected", _("Connected")
    QUALIFIED = "qualified", _("Qualified")
    UNQUALIFIED = "unqualified", _("Unqualified")
    NURTURING = "nurturing", _("Nurturing")


class Source(models.TextChoices):
    """How the contact first reached the company."""

    WEBSITE = "website", _("Website")
    FORM = "form", _("Web form")
    FACEBOOK = "facebook", _("Facebook")
    INSTAGRAM = "instagram", _("Instagram")
    GOOGLE_ADS = "google_ads", _("Google Ads")
    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone call")
    REFERRAL = "referral", _("Referral")
    EVENT = "event", _("Event or fair")
    WALK_IN = "walk_in", _("Walk-in")
    IMPORT = "import", _("Import")
    OTHER = "other", _("Other")


class ConsentChannel(models.TextChoices):
    """Channels that need the person's consent."""

    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")


class ConsentPurpose(models.TextChoices):
    """What the data may be used for (Habeas Data / GDPR purposes)."""

    MARKETING = "marketing", _("Marketing communications")
    SERVICE = "service", _("Service and account messages")
    PROFILING = "profiling", _("Analytics and profiling")


class ConsentStatus(models.TextChoices):
    """The person's answer."""

    GRANTED = "granted", _("Granted")
    DENIED = "denied", _("Denied")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # Asked for through a public form and waiting for the confirmation click (double opt-in):
    # not a consent yet, so nothing may be sent on its strength.
    PENDING = "pending", _("Awaiting confirmation")


class CustomFieldType(models.TextChoices):
    """Kinds of admin-defined fields."""

    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    BOOLEAN = "boolean", _("Yes/no")


class Entity(models.TextChoices):
    """Record types that custom fields can extend."""

    CONTACT = "contact", _("Contact")
    COMPANY = "company", _("Company")


class ContactVerb(models.TextChoices):
    """Timeline verbs of contacts and companies (registered in ContactsConfig.ready)."""

    NOTE = "note", _("note added")
    MERGED = "merged", _("merged")
    MERGE_UNDONE = "merge_undone", _("merge undone")
    CONSENT = "consent", _("consent changed")
    TAGGED = "tagged", _("tags changed")
