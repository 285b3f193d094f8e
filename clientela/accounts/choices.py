"""Choices for accounts: record visibility scopes and the built-in roles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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


# code -> (visibility, can_write, can_delete, can_import, can_export, can_merge, manage_users)
DEFAULT_ROLES: dict[str, tuple[str, bool, bool, bool, bool, bool, bool]] = {
    RoleCode.ADMIN: (Visibility.ALL, True, True, True, True, True, True),
    RoleCode.MANAGER: (Visibility.ALL, True, True, True, True, True, False),
    RoleCode.SALES: (Visibility.OWN, True, False, False, False, True, False),
    RoleCode.MARKETING: (Visibility.ALL, True, False, True, True, False, False),
    RoleCode.SERVICE: (Visibility.DEPARTMENT, True, False, False, False, False, False),
    RoleCode.READ_ONLY: (Visibility.DEPARTMENT, False, False, False, False, False, False),
}


class AccountVerb(models.TextChoices):
    """Timeline verbs of accounts (registered in AccountsConfig.ready)."""

    LOGIN = "login", _("signed in")
    LOGIN_FAILED = "login_failed", _("failed sign-in")
    PASSWORD = "password", _("password changed")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
