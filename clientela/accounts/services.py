"""Writes for users, departments, roles and API tokens."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clientela.accounts.capabilities import (
    Audience,
    UnknownCapability,
    all_capabilities,
    get_capability,
)
from clientela.accounts.choices import DEFAULT_ROLES, AccountVerb, RoleCode, Visibility
from clientela.accounts.models import (
    ApiToken,
    CapabilityDefault,
    Department,
    Role,
    User,
    hash_token,
)
from clientela.accounts.queries import has_capability
from clientela.core.events import Verb, Via, diff_fields, record_event
from clientela.core.exceptions import Forbidden, NotFound, ValidationFailed

TOKEN_PREFIX = "clt_"


def default_capabilities(audience: Audience) -> list[str]:
    """Codes of the registered capabilities whose default audience includes `audience`."""
    return [c.code for c in all_capabilities() if c.default & audience]


def ensure_default_roles() -> None:
    """Create the built-in roles if missing (idempotent), with their default capabilities."""
    for code, (visibility, audience) in DEFAULT_ROLES.items():
        Role.objects.get_or_create(
            code=code,
            defaults={"visibility": visibility, "capabilities": default_capabilities(audience)},
        )


@transaction.atomic
def apply_capability_defaults(using: str = "default") -> list[str]:
    """Grant newly registered capabilities to the built-in roles of their default audience.

    Each code is applied once per installation (CapabilityDefault remembers it), so an
    administrator's later revocation survives every upgrade; custom roles get nothing.
    Returns the codes applied now. Runs after every `migrate` (AccountsConfig).
    """
    done = set(CapabilityDefault.objects.using(using).values_list("code", flat=True))
    new = [c for c in all_capabilities() if c.code not in done]
    if not new:
        return []
    for role in Role.objects.using(using).select_for_update().filter(code__in=DEFAULT_ROLES):
        audience = DEFAULT_ROLES[role.code][1]
        granted = [c.code for c in new if c.default & audience and c.code not in role.capabilities]
        if granted:
            role.capabilities = [*role.capabilities, *granted]
            role.save(using=using, update_fields=["capabilities"])
    CapabilityDefault.objects.using(using).bulk_create(
        [CapabilityDefault(code=c.code) for c in new], ignore_conflicts=True
    )
    return [c.code for c in new]


def _require_admin(actor: User) -> None:
    if not has_capability(actor, "accounts.manage_users"):
        raise Forbidden(_("Only administrators can manage users and departments."))


def _user_snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role.code if user.role else None,
        "language": user.language,
        "is_active": user.is_active,
        "departments": sorted(d.name for d in user.departments.all()) if user.pk else [],
    }


USER_FIELDS = ("username", "first_name", "last_name", "email", "language", "phone")


@transaction.atomic
def create_user(
    *,
    actor: User,
    username: str,
    password: str | None,
    role: Role | None,
    departments: Iterable[Department] = (),
    via: str = Via.UI,
    **fields: Any,
) -> User:
    """Create a user with a role and departments; the password is validated."""
    _require_admin(actor)
    username = username.strip()
    if not username:
        raise ValidationFailed({"username": _("This field is required.")})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed({"username": _("A user with that username already exists.")})
    user = User(
        username=username, role=role, **{k: v for k, v in fields.items() if k in USER_FIELDS}
    )
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed({"password": exc.messages}) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    user.departments.set(list(departments))
    record_event(Verb.CREATED, actor=actor, target=user, via=via, data=_user_snapshot(user))
    return user


@transaction.atomic
def update_user(
    user: User,
    *,
    actor: User,
    role: Role | None = None,
    departments: Iterable[Department] | None = None,
    is_active: bool | None = None,
    via: str = Via.UI,
    **fields: Any,
) -> User:
    """Change a user's profile, role, departments or active flag; deactivation revokes tokens."""
    _require_admin(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    before = _user_snapshot(user)
    for key, value in fields.items():
        if key in USER_FIELDS and value is not None:
            setattr(user, key, value)
    if role is not None:
        user.role = role
    if is_active is not None:
        if not is_active and user.pk == getattr(actor, "pk", None):
            raise ValidationFailed({"is_active": _("You cannot deactivate your own account.")})
        user.is_active = is_active
    user.save()
    if departments is not None:
        user.departments.set(list(departments))
    if is_active is False:
        # A deactivated user's sessions stop at the next request (ModelBackend refuses
        # inactive users); their API tokens are revoked here so nothing keeps acting for them.
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    changes = diff_fields(before, _user_snapshot(user))
    if changes:
        record_event(Verb.UPDATED, actor=actor, target=user, via=via, data={"changes": changes})
    return user


@transaction.atomic
def change_password(user: User, *, actor: User, new_password: str, via: str = Via.UI) -> User:
    """Set a new password; every other session of the user ends (session hash changes)."""
    if actor.pk != user.pk:
        _require_admin(actor)
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationFailed({"new_password": exc.messages}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    record_event(AccountVerb.PASSWORD, actor=actor, target=user, via=via)
    return user


@transaction.atomic
def set_language(user: User, *, language: str) -> User:
    """Store the user's interface language."""
    if language not in {"es", "en"}:
        raise ValidationFailed({"language": _("Choose Spanish or English.")})
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return user


@transaction.atomic
def create_department(
    *, actor: User, name: str, parent: Department | None = None, via: str = Via.UI
) -> Department:
    """Create a department with a unique name."""
    _require_admin(actor)
    name = name.strip()
    if not name:
        raise ValidationFailed({"name": _("This field is required.")})
    if Department.objects.filter(name__iexact=name).exists():
        raise ValidationFailed({"name": _("A department with this name already exists.")})
    department = Department.objects.create(name=name, parent=parent)
    record_event(Verb.CREATED, actor=actor, target=department, via=via, data={"name": name})
    return department


@transaction.atomic
def update_department(
    department: Department, *, actor: User, name: str, via: str = Via.UI
) -> Department:
    """Rename a department."""
    _require_admin(actor)
    name = name.strip()
    if not name:
        raise ValidationFailed({"name": _("This field is required.")})
    if Department.objects.filter(name__iexact=name).exclude(pk=department.pk).exists():
        raise ValidationFailed({"name": _("A department with this name already exists.")})
    old = department.name
    department.name = name
    department.save(update_fields=["name"])
    record_event(
        Verb.UPDATED,
        actor=actor,
        target=department,
        via=via,
        data={"changes": {"name": [old, name]}},
    )
    return department


@transaction.atomic
def delete_department(department: Department, *, actor: User, via: str = Via.UI) -> None:
    """Delete an empty department."""
    _require_admin(actor)
    if department.members.exists():
        raise ValidationFailed(
            {"name": _("Move the department's members elsewhere before deleting it.")}
        )
    record_event(
        Verb.DELETED, actor=actor, target=department, via=via, data={"name": department.name}
    )
    department.delete()


def _role_snapshot(role: Role) -> dict[str, Any]:
    return {
        "name": role.name,
        "visibility": role.visibility,
        "capabilities": sorted(role.capabilities),
    }


@transaction.atomic
def update_role(
    role: Role,
    *,
    actor: User,
    name: str | None = None,
    visibility: str | None = None,
    capabilities: Iterable[str] | None = None,
    via: str = Via.UI,
) -> Role:
    """Change a role's name, visibility scope and granted capabilities (the full set)."""
    _require_admin(actor)
    role = Role.objects.select_for_update().get(pk=role.pk)
    before = _role_snapshot(role)
    if name is not None:
        name = name.strip()
        # A built-in role given back its built-in name (in any language) follows the reader's.
        role.name = "" if role.is_built_in and name in _built_in_names(role.code) else name
        if not role.name and not role.is_built_in:
            raise ValidationFailed({"name": _("This field is required.")})
    if visibility is not None:
        if visibility not in Visibility.values:
            raise ValidationFailed({"visibility": _("Choose a valid record visibility.")})
        role.visibility = visibility
    if capabilities is not None:
        codes = list(dict.fromkeys(capabilities))
        unknown = [code for code in codes if not _is_registered(code)]
        if unknown:
            raise ValidationFailed(
                {
                    "capabilities": _("Unknown capability: %(codes)s.")
                    % {"codes": ", ".join(unknown)}
                }
            )
        if role.code == RoleCode.ADMIN and "accounts.manage_users" not in codes:
            raise ValidationFailed(
                {"capabilities": _("The administrator role must keep user management.")}
            )
        order = {c.code: i for i, c in enumerate(all_capabilities())}
        role.capabilities = sorted(codes, key=order.__getitem__)
    role.save()
    changes = diff_fields(before, _role_snapshot(role))
    if changes:
        record_event(Verb.UPDATED, actor=actor, target=role, via=via, data={"changes": changes})
    return role


def _is_registered(code: str) -> bool:
    try:
        get_capability(code)
    except UnknownCapability:
        return False
    return True


def _built_in_names(code: str) -> set[str]:
    label = RoleCode(code).label
    names = set()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            names.add(str(label))
    return names


def create_token(
    user: User, *, actor: User, name: str = "", via: str = Via.UI
) -> tuple[ApiToken, str]:
    """Issue a new API token for `user`; the raw value is returned once and never stored."""
    if actor.pk != user.pk:
        _require_admin(actor)
    if not user.is_active:
        raise ValidationFailed({"user": _("This user is not active.")})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=raw[:12], token_hash=hash_token(raw)
    )
    record_event(
        AccountVerb.TOKEN_CREATED,
        actor=actor,
        target=user,
        via=via,
        data={"token": token.prefix, "name": name},
    )
    return token, raw


def revoke_token(token: ApiToken, *, actor: User, via: str = Via.UI) -> ApiToken:
    """Revoke a token: it stops authenticating immediately."""
    if actor.pk != token.user_id:
        _require_admin(actor)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_event(
            AccountVerb.TOKEN_REVOKED,
            actor=actor,
            target=token.user,
            via=via,
            data={"token": token.prefix},
        )
    return token


def get_user_for_admin(actor: User, user_id: int) -> User:
    """Return a user record for the admin screens and API."""
    _require_admin(actor)
    try:
        return User.objects.select_related("role").prefetch_related("departments").get(pk=user_id)
    except User.DoesNotExist as exc:
        raise NotFound(_("User not found.")) from exc


# --- sign-in and two-factor ------------------------------------------------------------------


def record_login(user: User, *, two_factor: bool, via: str = Via.UI) -> None:
    """Put a completed sign-in in the audit log (whether a second factor was used)."""
    record_event(
        AccountVerb.LOGIN, actor=user, target=user, via=via, data={"two_factor": two_factor}
    )


def record_failed_login(username: str, *, step: str, via: str = Via.UI) -> None:
    """Put a failed sign-in of an existing account in the audit log (axes does the throttling).

    Unknown usernames leave nothing: there is no account to attach the event to.
    """
    user = User.objects.filter(username=username).first()
    if user is not None:
        record_event(
            AccountVerb.LOGIN_FAILED, actor=None, target=user, via=via, data={"step": step}
        )


@transaction.atomic
def confirm_totp(user: User, *, device_id: int, token: str, via: str = Via.UI) -> Any | None:
    """Turn two-factor sign-in on when `token` is valid for the user's pending device.

    Returns the confirmed device (None for a wrong code). Other pending devices are removed
    and the change is audited, in one transaction.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    locked = (
        TOTPDevice.objects.select_for_update()
        .filter(pk=device_id, user=user, confirmed=False)
        .first()
    )
    if locked is None or not locked.verify_token(token):
        return None
    locked.confirmed = True
    locked.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    record_event(
        Verb.UPDATED,
        actor=user,
        target=user,
        via=via,
        data={"changes": {"two_factor": [False, True]}},
    )
    return locked


@transaction.atomic
def disable_totp(user: User, *, via: str = Via.UI) -> bool:
    """Turn two-factor sign-in off (every device of the user); audited when one existed."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    deleted, _detail = TOTPDevice.objects.filter(user=user).delete()
    if deleted:
        record_event(
            Verb.UPDATED,
            actor=user,
            target=user,
            via=via,
            data={"changes": {"two_factor": [True, False]}},
        )
    return bool(deleted)
