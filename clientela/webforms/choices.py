"""Choices of web forms and submissions."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FormStatus(models.TextChoices):
    """Where a form stands: only published forms take submissions."""

    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class FieldKind(models.TextChoices):
    """What a form field fills in: a contact field, a custom field, or a hidden value."""

    CONTACT = "contact", _("Contact field")
    CUSTOM = "custom", _("Custom field")
    HIDDEN = "hidden", _("Hidden value")


class ContactTarget(models.TextChoices):
    """The contact fields a form may fill (an allow-list)."""

    FIRST_NAME = "first_name", _("First name")
    LAST_NAME = "last_name", _("Last name")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    CITY = "city", _("City")
    COUNTRY = "country", _("Country")
    BIRTHDAY = "birthday", _("Birthday")
    LANGUAGE = "language", _("Language")
    COMPANY_NAME = "company_name", _("Company name")
    JOB_TITLE = "job_title", _("Job title")


class HiddenSource(models.TextChoices):
    """Where a hidden field takes its value: fixed, or a parameter of the page's URL."""

    FIXED = "fixed", _("Fixed value")
    UTM_SOURCE = "utm_source", "utm_source"
    UTM_MEDIUM = "utm_medium", "utm_medium"
    UTM_CAMPAIGN = "utm_campaign", "utm_campaign"
    UTM_TERM = "utm_term", "utm_term"
    UTM_CONTENT = "utm_content", "utm_content"
    CAMPAIGN = "campaign", _("campaign (URL parameter)")
    PRODUCT = "product", _("product of interest (URL parameter)")


class SubmissionSource(models.TextChoices):
    """Where a submission came from (forms now; ad platforms and webhooks next)."""

    FORM = "form", _("Web form")
    META = "meta", _("Meta Lead Ads")
    GOOGLE = "google", _("Google Ads lead form")
    WEBHOOK = "webhook", _("Webhook")


class SubmissionState(models.TextChoices):
    """Where a stored submission is in its processing."""

    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Failed")


class FormVerb(models.TextChoices):
    """Timeline verbs of web forms (registered in WebformsConfig.ready)."""

    SUBMITTED = "form_submitted", _("submitted a form")
    CONSENT_CONFIRMED = "consent_confirmed", _("confirmed a consent")
    PUBLISHED = "form_published", _("form published")
    UNPUBLISHED = "form_unpublished", _("form unpublished")
    RETRIED = "submission_retried", _("submission retried")


class AssignmentStrategy(models.TextChoices):
    """How a routing rule picks the rep among its members."""

    ROUND_ROBIN = "round_robin", _("Round robin (each in turn)")
    LEAST_OPEN = "least_open", _("Fewest open leads")
    FIXED = "fixed", _("Always the same person")


class RoutingVerb(models.TextChoices):
    """Timeline verbs of lead routing (registered in WebformsConfig.ready)."""

    ASSIGNED = "lead_assigned", _("lead assigned")
    RULE_SAVED = "routing_rule_saved", _("routing rule saved")
    RULE_DELETED = "routing_rule_deleted", _("routing rule deleted")


class LeadSourceKind(models.TextChoices):
    """Which protocol an inbound lead source speaks."""

    META = "meta", _("Meta Lead Ads (Facebook, Instagram)")
    GOOGLE = "google", _("Google Ads lead form")
    WEBHOOK = "webhook", _("Signed JSON webhook")


class SourceVerb(models.TextChoices):
    """Audit verbs of lead sources (registered in WebformsConfig.ready)."""

    SAVED = "lead_source_saved", _("lead source saved")
    DELETED = "lead_source_deleted", _("lead source deleted")


class PageVerb(models.TextChoices):
    """Audit verbs of landing pages (registered in WebformsConfig.ready)."""

    SAVED = "landing_page_saved", _("landing page saved")
    PUBLISHED = "landing_page_published", _("landing page published")
    UNPUBLISHED = "landing_page_unpublished", _("landing page unpublished")
    DELETED = "landing_page_deleted", _("landing page deleted")
    IMAGE_UPLOADED = "page_image_uploaded", _("page image uploaded")
