"""Event verbs and the channels through which a change was made."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Verb(models.TextChoices):
    """What happened."""

    CREATED = "created", _("created")
    UPDATED = "updated", _("updated")
    DELETED = "deleted", _("moved to trash")
    RESTORED = "restored", _("restored from trash")
    NOTE = "note", _("note added")
    MERGED = "merged", _("merged")
    MERGE_UNDONE = "merge_undone", _("merge undone")
    IMPORTED = "imported", _("updated by import")
    CONSENT = "consent", _("consent changed")
    TAGGED = "tagged", _("tags changed")
    LOGIN = "login", _("signed in")
    LOGIN_FAILED = "login_failed", _("failed sign-in")
    PASSWORD = "password", _("password changed")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    EXPORTED = "exported", _("exported")
    PURCHASE = "purchase", _("purchase")


class Via(models.TextChoices):
    """Which adapter made the change."""

    UI = "ui", _("web")
    API = "api", _("API")
    CLI = "cli", _("command line")
    IMPORT = "import", _("import")
    SYSTEM = "system", _("system")
