"""The signed-in user's own page: language, password, two-factor sign-in and API tokens."""

from __future__ import annotations

import base64
import io
from typing import Any

import django_otp
import segno
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from clientela.accounts import services
from clientela.accounts.forms import (
    LanguageForm,
    OTPTokenForm,
    PasswordChangeForm,
    PasswordConfirmForm,
    TokenCreateForm,
    add_service_errors,
)
from clientela.accounts.models import ApiToken, User
from clientela.accounts.queries import has_capability
from clientela.accounts.views.access import safe_next, signed_in_user
from clientela.accounts.views.auth import confirmed_totp
from clientela.core.exceptions import ValidationFailed
from clientela.core.users import AuthenticatedHttpRequest


def _render_profile(request: AuthenticatedHttpRequest, **forms: Any) -> HttpResponse:
    user = signed_in_user(request)
    context = {
        "language_form": LanguageForm(initial={"language": user.language}),
        "password_form": PasswordChangeForm(user),
        "disable_form": PasswordConfirmForm(user),
        "token_form": TokenCreateForm(),
        "two_factor_on": confirmed_totp(user) is not None,
        "tokens": ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at")[:50],
        **forms,
    }
    return render(request, "accounts/profile.html", context)


@require_GET
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the profile page."""
    return _render_profile(request)


@sensitive_post_parameters("old_password", "new_password", "new_password_again")
@require_POST
def password_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Change one's own password; this session stays, every other session ends."""
    user = signed_in_user(request)
    form = PasswordChangeForm(user, request.POST)
    if form.is_valid():
        try:
            services.change_password(
                user,
                actor=user,
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            update_session_auth_hash(request, user)
            messages.success(
                request,
                _("Your password was changed. Your other sessions have been signed out."),
            )
            return redirect("accounts:profile")
    return _render_profile(request, password_form=form)


def _qr_svg(url: str) -> str:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", xmldecl=False, svgns=True, scale=5, border=2, svgclass="qr"
    )
    return buffer.getvalue().decode()


def _pending_device(user: User) -> TOTPDevice:
    """Return the user's unconfirmed device, created once so reloading keeps the same secret."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name="Clientela", confirmed=False)


def totp_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show a QR code and secret for an authenticator app, then confirm it with a code."""
    user = signed_in_user(request)
    if confirmed_totp(user) is not None:
        messages.info(request, _("Two-factor sign-in is already on."))
        return redirect("accounts:profile")
    device = _pending_device(user)
    form = OTPTokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        confirmed = services.confirm_totp(
            user, device_id=device.pk, token=form.cleaned_data["otp_token"]
        )
        if confirmed is not None:
            django_otp.login(request, confirmed)
            messages.success(
                request,
                _("Two-factor sign-in is on. You will be asked for a code when you sign in."),
            )
            return redirect("accounts:profile")
        form.add_error(
            "otp_token",
            _("That code is not valid. Check that your phone's clock is right and try again."),
        )
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        # segno writes only <svg>/<path> markup from the otpauth URL: no user text is echoed.
        "qr_svg": mark_safe(_qr_svg(device.config_url)),  # noqa: S308
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    return render(request, "accounts/totp_setup.html", context)


@sensitive_post_parameters("password")
@require_POST
def totp_disable(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Turn two-factor sign-in off after the user confirms their password."""
    user = signed_in_user(request)
    form = PasswordConfirmForm(user, request.POST)
    if not form.is_valid():
        return _render_profile(request, disable_form=form)
    services.disable_totp(user)
    request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)
    messages.success(request, _("Two-factor sign-in is off."))
    return redirect("accounts:profile")


@never_cache
@require_POST
def token_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create a personal API token and show its value this one time (it is never stored)."""
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _render_profile(request, token_form=form)
    try:
        user = signed_in_user(request)
        token, raw = services.create_token(
            user,
            actor=user,
            name=form.cleaned_data["name"],
        )
    except ValidationFailed as exc:
        add_service_errors(form, exc)
        return _render_profile(request, token_form=form)
    return _render_profile(request, new_token=raw, new_token_obj=token)


@require_POST
def token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    """Revoke one's own token (administrators may revoke anyone's)."""
    token = ApiToken.objects.select_related("user").filter(pk=token_id).first()
    if token is None or (
        token.user_id != request.user.pk
        and not has_capability(request.user, "accounts.manage_users")
    ):
        raise Http404
    services.revoke_token(token, actor=request.user)
    messages.success(request, _("The token was revoked. It no longer works."))
    return redirect(safe_next(request, reverse("accounts:profile")))
