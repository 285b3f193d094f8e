"""Users, departments, roles and API tokens."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.accounts.choices import Language, RoleCode, Visibility


class Role(models.Model):
    """A named set of capabilities with a record-visibility scope."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    # Empty for a built-in role that keeps its built-in name, shown in the reader's language.
    name = models.CharField(_("name"), max_length=80, blank=True)
    visibility = models.CharField(
        _("record visibility"), max_length=20, choices=Visibility.choices, default=Visibility.OWN
    )
    # Codes of the registered capabilities the role grants (accounts.capabilities). A list
    # column, so the API's one-query token lookup loads it with the role.
    capabilities = models.JSONField(_("capabilities"), default=list, blank=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["id"]

    def __str__(self) -> str:
        if self.name:
            return self.name
        label = dict(RoleCode.choices).get(self.code)
        return str(label) if label else self.code

    @property
    def is_built_in(self) -> bool:
        """Whether the role is one every installation starts with."""
        return self.code in RoleCode.values


class CapabilityDefault(models.Model):
    """A capability already granted to the built-in roles by its default audience.

    Defaults are applied once per installation: an administrator who later takes the
    capability away from a role is never overruled by the next upgrade.
    """

    code = models.CharField(_("code"), max_length=100, unique=True)
    applied_at = models.DateTimeField(_("applied"), default=timezone.now)

    class Meta:
        verbose_name = _("applied capability default")
        verbose_name_plural = _("applied capability defaults")

    def __str__(self) -> str:
        return self.code


class Department(models.Model):
    """A part of the company structure (Gerencia, Comercial, ...)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in to Clientela."""

    role = models.ForeignKey(
        Role, verbose_name=_("role"), on_delete=models.PROTECT, null=True, blank=True
    )
    departments = models.ManyToManyField(
        Department, verbose_name=_("departments"), blank=True, related_name="members"
    )
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.ES
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    # Per-instance caches that accounts.queries fills for one request (not columns).
    _clientela_role: Role | None
    _clientela_colleagues: list[int]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


def hash_token(raw: str) -> str:
    """SHA-256 of a token: tokens carry 256 bits of entropy, so a fast hash is safe."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A revocable bearer token acting with its user's permissions; only its hash is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        """Whether the token still authenticates."""
        return self.revoked_at is None
