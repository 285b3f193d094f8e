"""Forms of the delivery app: the outbox filters and the suppression list."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clientela.delivery.choices import MessageState, SuppressionReason
from clientela.delivery.kinds import kind_choices
from clientela.delivery.queries import MessageFilters, SuppressionFilters


class MessageFilterForm(forms.Form):
    """Filters of the outbox (from the query string)."""

    q = forms.CharField(
        label=_("Recipient"),
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"placeholder": _("Address starts with…"), "type": "search"}),
    )
    state = forms.ChoiceField(label=_("State"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        any_value = [("", _("Any"))]
        self.fields["state"].choices = [*any_value, *MessageState.choices]  # type: ignore[attr-defined]
        self.fields["kind"].choices = [*any_value, *kind_choices()]  # type: ignore[attr-defined]

    def to_filters(self) -> MessageFilters:
        """Return the valid filters (invalid ones are ignored)."""
        data = self.cleaned_data if self.is_valid() else {}
        return MessageFilters(
            state=data.get("state") or "",
            kind=data.get("kind") or "",
            q=(data.get("q") or "").strip(),
        )


class SuppressionFilterForm(forms.Form):
    """Filters of the suppression list (from the query string)."""

    q = forms.CharField(
        label=_("Address"),
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"placeholder": _("Address starts with…"), "type": "search"}),
    )
    reason = forms.ChoiceField(label=_("Reason"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", _("Any")), *SuppressionReason.choices]  # type: ignore[attr-defined]

    def to_filters(self) -> SuppressionFilters:
        """Return the valid filters (invalid ones are ignored)."""
        data = self.cleaned_data if self.is_valid() else {}
        return SuppressionFilters(q=(data.get("q") or "").strip(), reason=data.get("reason") or "")


class SuppressionForm(forms.Form):
    """Add one address to the suppression list by hand."""

    email = forms.CharField(label=_("E-mail address"), max_length=254)
    reason = forms.ChoiceField(
        label=_("Reason"), choices=SuppressionReason.choices, initial=SuppressionReason.MANUAL
    )
    detail = forms.CharField(label=_("Note"), required=False, max_length=500)


class UnsuppressForm(forms.Form):
    """Remove an address from the suppression list, saying why."""

    reason = forms.CharField(label=_("Why may it receive e-mail again?"), max_length=500)


class SuppressionImportForm(forms.Form):
    """Upload a list of addresses (one per line, or a CSV whose first column is the address)."""

    file = forms.FileField(label=_("File (CSV or text, one address per line)"))
    reason = forms.ChoiceField(
        label=_("Reason"), choices=SuppressionReason.choices, initial=SuppressionReason.MANUAL
    )

    MAX_BYTES = 5 * 1024 * 1024

    def lines(self) -> list[str]:
        """Return the file's lines decoded (UTF-8, else Latin-1), or raise a field error."""
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        lines: list[str] = text.replace("\x00", "").splitlines()
        return lines
