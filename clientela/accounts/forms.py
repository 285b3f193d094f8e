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

from clientela.accounts.choices import Language, Visibility
from clientela.accounts.models import Department, Role
from clientela.contacts.choices import CustomFieldType, Entity
from clientela.core.exceptions import ValidationFailed
from clientela.core.forms import IdsChoiceField

CAPABILITY_FIELDS = (
    "can_write",
    "can_delete",
    "can_import",
    "can_export",
    "can_merge",
    "can_manage_users",
)


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

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_old_password(self) -> str:
        """The user proves they know the current password."""
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

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        """The user proves they know the current password."""
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
    """A role's name, record visibility and capabilities."""

    name = forms.CharField(label=_("Name"), max_length=80)
    visibility = forms.ChoiceField(
        label=_("Record visibility"),
        choices=Visibility.choices,
        widget=forms.RadioSelect,
    )
    can_write = forms.BooleanField(label=_("Create and edit records"), required=False)
    can_delete = forms.BooleanField(label=_("Delete records"), required=False)
    can_import = forms.BooleanField(label=_("Import"), required=False)
    can_export = forms.BooleanField(label=_("Export"), required=False)
    can_merge = forms.BooleanField(label=_("Merge duplicates"), required=False)
    can_manage_users = forms.BooleanField(
        label=_("Manage users, roles and settings"), required=False
    )


class CustomFieldForm(forms.Form):
    """Definition of an admin-defined field on contacts or companies."""

    entity = forms.ChoiceField(label=_("Record type"), choices=Entity.choices)
    label = forms.CharField(
        label=_("Label"),
        max_length=100,
        error_messages={"required": _("Enter the label people will see.")},
    )
    key = forms.CharField(
        label=_("Key"),
        max_length=50,
        required=False,
        help_text=_(
            "Used in imports, exports and the API. Left empty, it is made from the label. "
            "It cannot change later."
        ),
    )
    field_type = forms.ChoiceField(label=_("Type"), choices=CustomFieldType.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("For the Choice type: one option per line."),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # The key and record type identify stored values; they are fixed once created.
            for name in ("entity", "key"):
                self.fields[name].disabled = True
                self.fields[name].required = False

    def choice_lines(self) -> list[str]:
        """The choices, one per non-empty line."""
        return [line.strip() for line in self.cleaned_data.get("choices", "").splitlines() if line]
