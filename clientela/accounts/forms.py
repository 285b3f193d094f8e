"""Forms for sign-in, the profile page and the administration screens.

Forms only parse and check shape; the rules (unique names, password strength, who may do
what) live in clientela.accounts.services and come back as ValidationFailed, which
`add_service_errors` puts on the right field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from clientela.accounts.capabilities import Capability, all_capabilities, capability_groups
from clientela.accounts.choices import Language, Visibility
from clientela.accounts.models import Department, Role, User
from clientela.core.exceptions import ValidationFailed
from clientela.core.formfields import IdsChoiceField


def add_service_errors(
    form: forms.Form, exc: ValidationFailed, aliases: dict[str, str] | None = None
) -> None:
    """Attach a service's field errors to the form (unknown fields become form-wide errors)."""
    aliases = aliases or {}
    for field, messages in exc.errors.items():
        name = aliases.get(field, field)
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


class LoginForm(AuthenticationForm):
    """Username and password; django-axes counts the failures."""

    error_messages = {
        "invalid_login": _("Wrong username or password. Both are case-sensitive."),
        "inactive": _("This account is inactive."),
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Username")
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].label = _("Password")


CODE_MESSAGE = _("Enter the 6-digit code from your app.")


class OTPTokenForm(forms.Form):
    """The 6-digit code of an authenticator app (spaces allowed: "123 456")."""

    otp_token = forms.CharField(
        label=_("Code"),
        max_length=12,
        error_messages={"required": CODE_MESSAGE, "max_length": CODE_MESSAGE},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "autofocus": True,
                "size": 8,
            }
        ),
    )

    def clean_otp_token(self) -> str:
        """Six digits once spaces are removed."""
        value = str(self.cleaned_data["otp_token"]).replace(" ", "")
        if len(value) != 6 or not value.isdigit():
            raise forms.ValidationError(CODE_MESSAGE)
        return value


class LanguageForm(forms.Form):
    """The interface language."""

    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)


class PasswordChangeForm(forms.Form):
    """Current password plus the new one twice; strength is checked by the service."""

    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_old_password(self) -> str:
        """Check that the user knows the current password."""
        value = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError(_("Your current password is not correct."))
        return str(value)

    def clean(self) -> dict[str, Any]:
        """Both new passwords must match."""
        data = super().clean() or {}
        first, second = data.get("new_password"), data.get("new_password_again")
        if first and second and first != second:
            self.add_error("new_password_again", _("The two new passwords do not match."))
        return data


class PasswordConfirmForm(forms.Form):
    """The current password, asked before a sensitive change such as turning off 2FA."""

    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        """Check that the user knows the current password."""
        value = self.cleaned_data["password"]
        if not self.user.check_password(value):
            raise forms.ValidationError(_("Your current password is not correct."))
        return str(value)


class TokenCreateForm(forms.Form):
    """A name that says what an API token is for."""

    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        required=False,
        help_text=_("For example: “Spreadsheet sync” or “Website form”."),
    )


class UserFilterForm(forms.Form):
    """Search box of the users list."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class _UserFieldsMixin(forms.Form):
    """Fields shared by the create and edit user forms."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        error_messages={"invalid": _("Enter a valid e-mail address.")},
    )
    role = forms.ModelChoiceField(
        label=_("Role"),
        queryset=Role.objects.all(),
        empty_label=None,
        error_messages={"required": _("Choose a role.")},
    )
    departments = IdsChoiceField(
        label=_("Departments"),
        queryset=Department.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)


class UserCreateForm(_UserFieldsMixin):
    """A new user with an initial password the person changes later."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # No preselected role: defaulting to the first one (Administrator) would be unsafe.
        role = self.fields["role"]
        assert isinstance(role, forms.ModelChoiceField)
        role.empty_label = _("Choose a role…")

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        error_messages={"required": _("Enter a username.")},
        validators=[
            RegexValidator(
                r"^[\w.@+-]+\Z",
                _("Use only letters, digits and the characters @ . + - _ in the username."),
            )
        ],
    )
    password = forms.CharField(
        label=_("Initial password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Enter an initial password.")},
    )

    field_order = [
        "username",
        "first_name",
        "last_name",
        "email",
        "role",
        "departments",
        "language",
        "password",
    ]


class UserEditForm(_UserFieldsMixin):
    """Profile, role, departments and the active flag of an existing user."""

    is_active = forms.BooleanField(
        label=_("Active (may sign in)"),
        required=False,
        help_text=_("Deactivating ends the user's sessions and revokes their API tokens."),
    )


class PasswordResetForm(forms.Form):
    """A new password set by an administrator."""

    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Enter the new password.")},
    )


class DepartmentForm(forms.Form):
    """A department's name."""

    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        error_messages={"required": _("Enter the department's name.")},
    )


class RoleForm(forms.Form):
    """A role's name, record visibility and the registered capabilities it grants."""

    name = forms.CharField(label=_("Name"), max_length=80)
    visibility = forms.ChoiceField(
        label=_("Record visibility"),
        choices=Visibility.choices,
        widget=forms.RadioSelect,
    )
    capabilities = forms.MultipleChoiceField(
        label=_("Users with this role may"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["capabilities"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(c.code, c.label) for c in all_capabilities()]

    def capability_groups(self) -> list[tuple[Any, list[tuple[Capability, bool]]]]:
        """Return the registered capabilities by app, each with whether the form has it ticked."""
        value = self["capabilities"].value() or []
        ticked = set(value if isinstance(value, list | tuple) else [value])
        return [
            (label, [(capability, capability.code in ticked) for capability in members])
            for label, members in capability_groups()
        ]
