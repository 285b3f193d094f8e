"""Choices for accounts: record visibility scopes and the built-in roles."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from clientela.accounts.capabilities import Audience


class Visibility(models.TextChoices):
    """How far a role sees records: its own, its departments', or everything."""

    OWN = "own", _("Own records")
    DEPARTMENT = "department", _("My departments' records")
    ALL = "all", _("All records")


class RoleCode(models.TextChoices):
    """The roles every installation starts with."""

    ADMIN = "administrador", _("Administrator")
    MANAGER = "gerente", _("Manager")
    SALES = "comercial", _("Sales rep")
    MARKETING = "mercadeo", _("Marketing")
    SERVICE = "servicio", _("Service")
    READ_ONLY = "solo_lectura", _("Read only")


class Language(models.TextChoices):
    """User-interface and contact languages."""

    ES = "es", _("Spanish")
    EN = "en", _("English")


# code -> (record visibility, the audience whose capabilities the role gets by default)
DEFAULT_ROLES: dict[str, tuple[str, Audience]] = {
    RoleCode.ADMIN: (Visibility.ALL, Audience.ADMINS),
    RoleCode.MANAGER: (Visibility.ALL, Audience.MANAGERS),
    RoleCode.SALES: (Visibility.OWN, Audience.SALES),
    RoleCode.MARKETING: (Visibility.ALL, Audience.MARKETING),
    RoleCode.SERVICE: (Visibility.DEPARTMENT, Audience.SERVICE),
    RoleCode.READ_ONLY: (Visibility.DEPARTMENT, Audience.VIEWERS),
}


class AccountVerb(models.TextChoices):
    """Timeline verbs of accounts (registered in AccountsConfig.ready)."""

    LOGIN = "login", _("signed in")
    LOGIN_FAILED = "login_failed", _("failed sign-in")
    PASSWORD = "password", _("password changed")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
