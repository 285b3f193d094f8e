"""Sign-in (password, then an authenticator code when the user has one), sign-out, language."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from clientela.accounts import services
from clientela.accounts.forms import LanguageForm, LoginForm, OTPTokenForm
from clientela.accounts.models import User
from clientela.accounts.views.access import safe_next, signed_in_user
from clientela.core.exceptions import ValidationFailed

# Between the password step and the code step the session holds only this marker, never
# an authenticated user: {"user": id, "backend": dotted path, "at": unix time, "tries": n}.
PENDING_KEY = "clientela_2fa_pending"
PENDING_SECONDS = 300
MAX_CODE_TRIES = 5
LANGUAGE_SESSION_KEY = "clientela_language"


def confirmed_totp(user: User) -> TOTPDevice | None:
    """Return the user's confirmed authenticator device, if two-factor sign-in is on."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def remember_language(request: HttpRequest, response: HttpResponse, language: str) -> None:
    """Use `language` for this session now and for the sign-in page later (cookie)."""
    request.session[LANGUAGE_SESSION_KEY] = language
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def _complete_login(
    request: HttpRequest, user: User, backend: str, device: TOTPDevice | None
) -> HttpResponse:
    login(request, user, backend=backend)
    if device is not None:
        django_otp.login(request, device)
    services.record_login(user, two_factor=device is not None)
    response = redirect(safe_next(request, reverse(settings.LOGIN_REDIRECT_URL)))
    remember_language(request, response, user.language)
    return response


def _record_failure(username: str, step: str) -> None:
    """Put failed sign-ins of existing accounts in the audit log (axes does the throttling)."""
    services.record_failed_login(username, step=step)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    """Password step; hands over to the code step when the user has two-factor sign-in on."""
    next_url = safe_next(request, "")
    if request.user.is_authenticated:
        return redirect(next_url or reverse(settings.LOGIN_REDIRECT_URL))
    form = LoginForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            user = form.get_user()
            backend = str(getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1]))
            if confirmed_totp(user) is None:
                return _complete_login(request, user, backend, None)
            request.session.cycle_key()
            request.session[PENDING_KEY] = {
                "user": user.pk,
                "backend": backend,
                "at": int(time.time()),
                "tries": 0,
            }
            target = reverse("accounts:login_verify")
            if next_url:
                target += "?" + urlencode({"next": next_url})
            return redirect(target)
        if not getattr(request, "axes_locked_out", False):
            _record_failure(request.POST.get("username", ""), "password")
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


def _pending_user(request: HttpRequest) -> tuple[User | None, dict[str, Any]]:
    pending = request.session.get(PENDING_KEY) or {}
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None, {}
    user = User.objects.filter(pk=int(pending.get("user") or 0), is_active=True).first()
    return user, pending


@csrf_protect
@never_cache
def login_verify(request: HttpRequest) -> HttpResponse:
    """Second step: the authenticator code; the user is signed in only once it is right."""
    user, pending = _pending_user(request)
    device = confirmed_totp(user) if user is not None else None
    if user is None or device is None:
        request.session.pop(PENDING_KEY, None)
        messages.error(request, _("Your sign-in expired. Please enter your password again."))
        return redirect("accounts:login")
    form = OTPTokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        allowed, _info = device.verify_is_allowed()
        verified = (
            django_otp.verify_token(user, device.persistent_id, form.cleaned_data["otp_token"])
            if allowed
            else None
        )
        if verified is not None:
            del request.session[PENDING_KEY]
            return _complete_login(request, user, pending["backend"], verified)
        pending["tries"] = pending.get("tries", 0) + 1
        _record_failure(user.username, "two_factor")
        if pending["tries"] >= MAX_CODE_TRIES:
            request.session.pop(PENDING_KEY, None)
            messages.error(request, _("Too many wrong codes. Please sign in again."))
            return redirect("accounts:login")
        request.session[PENDING_KEY] = pending
        if allowed:
            form.add_error(
                "otp_token",
                _("That code is not valid. Check that your phone's clock is right and try again."),
            )
        else:
            form.add_error(
                "otp_token", _("Too many wrong codes in a row. Wait a few seconds and try again.")
            )
    return render(
        request, "accounts/login_verify.html", {"form": form, "next": safe_next(request, "")}
    )


def logout_view(request: HttpRequest) -> HttpResponseBase:
    """Sign out (POST only, as Django requires)."""
    return auth_views.LogoutView.as_view()(request)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the signed-in user's language for this session and every later sign-in."""
    response = redirect(safe_next(request, reverse("core:home")))
    form = LanguageForm(request.POST)
    if form.is_valid():
        try:
            user = services.set_language(
                signed_in_user(request), language=form.cleaned_data["language"]
            )
        except ValidationFailed:
            return response
        remember_language(request, response, user.language)
    return response
