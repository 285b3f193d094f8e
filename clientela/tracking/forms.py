"""The tracked-site form (the service validates origins; the form shapes the input)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clientela.tracking.choices import ConsentMode


class SiteForm(forms.Form):
    """Name, allowed origins (one per line), cookie consent mode and whether it takes events."""

    name = forms.CharField(label=_("Name"), max_length=120)
    allowed_origins = forms.CharField(
        label=_("Allowed origins"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "https://www.example.co"}),
        help_text=_(
            "One per line, scheme and host only (https://www.example.co). Only pages of these "
            "origins may send events."
        ),
    )
    consent_mode = forms.ChoiceField(
        label=_("Visitor cookie"),
        choices=ConsentMode.choices,
        initial=ConsentMode.AFTER_CONSENT,
        widget=forms.RadioSelect,
        help_text=_(
            "Whether the script may keep the anonymous visitor id in the clv_id cookie of your "
            "site, which links visits across pages and days."
        ),
    )
    is_active = forms.BooleanField(label=_("Receives events"), required=False, initial=True)
