"""Sign-in and sign-out."""

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponseBase

login_view = auth_views.LoginView.as_view(template_name="accounts/login.html")


def logout_view(request: HttpRequest) -> HttpResponseBase:
    """Sign out (POST only, as Django requires)."""
    return auth_views.LogoutView.as_view()(request)
