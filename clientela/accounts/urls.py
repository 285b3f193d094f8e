"""URL routes of the accounts app."""

from django.urls import path

from clientela.accounts.views import administration, auth, profile

app_name = "accounts"
urlpatterns = [
    # Sign-in and personal settings.
    path("login/", auth.login_view, name="login"),
    path("login/verify/", auth.login_verify, name="login_verify"),
    path("logout/", auth.logout_view, name="logout"),
    path("language/", auth.set_language, name="set_language"),
    path("profile/", profile.profile, name="profile"),
    path("profile/password/", profile.password_change, name="password_change"),
    path("profile/two-factor/", profile.totp_setup, name="totp_setup"),
    path("profile/two-factor/disable/", profile.totp_disable, name="totp_disable"),
    path("profile/tokens/", profile.token_create, name="token_create"),
    path("tokens/<int:token_id>/revoke/", profile.token_revoke, name="token_revoke"),
    # Administration (404 for anyone who may not manage users).
    path("users/", administration.user_list, name="user_list"),
    path("users/new/", administration.user_create, name="user_create"),
    path("users/<int:user_id>/", administration.user_edit, name="user_edit"),
    path("users/<int:user_id>/password/", administration.user_password, name="user_password"),
    path("departments/", administration.department_list, name="department_list"),
    path(
        "departments/<int:department_id>/",
        administration.department_edit,
        name="department_edit",
    ),
    path(
        "departments/<int:department_id>/delete/",
        administration.department_delete,
        name="department_delete",
    ),
    path("roles/", administration.role_list, name="role_list"),
    path("roles/<int:role_id>/", administration.role_edit, name="role_edit"),
    # Custom fields moved to the contacts app; old addresses redirect (still admin-only).
    path(
        "custom-fields/",
        administration.moved_to("contacts:custom_field_list"),
        name="custom_field_list",
    ),
    path(
        "custom-fields/new/",
        administration.moved_to("contacts:custom_field_create"),
        name="custom_field_create",
    ),
    path(
        "custom-fields/<int:field_id>/",
        administration.moved_to("contacts:custom_field_edit"),
        name="custom_field_edit",
    ),
]
