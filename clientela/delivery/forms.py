"""Forms of the delivery app: the outbox filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clientela.delivery.choices import MessageState
from clientela.delivery.kinds import kind_choices
from clientela.delivery.queries import MessageFilters


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
