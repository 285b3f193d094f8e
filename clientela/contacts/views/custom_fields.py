"""Custom field definitions of every registered record type (an administration screen).

Only users who may manage users reach these views; everyone else gets a 404 so the addresses
stay undiscoverable, as on the other administration screens.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability
from clientela.contacts.choices import Entity
from clientela.contacts.entities import custom_field_entities
from clientela.contacts.forms import CustomFieldForm
from clientela.contacts.models import CustomField
from clientela.contacts.services.custom_fields import save_custom_field
from clientela.core.exceptions import ValidationFailed
from clientela.core.users import AuthenticatedHttpRequest


def may_define_fields(user: User) -> bool:
    """Whether the user administers custom fields (those who manage users do)."""
    return has_capability(user, "accounts.manage_users")


def manages_fields(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 404 to anyone who may not define custom fields."""

    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_define_fields(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@manages_fields
def custom_field_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show custom field definitions, one section per registered record type."""
    fields = list(CustomField.objects.order_by("entity", "position", "id"))
    groups = [
        (str(entity.heading), [f for f in fields if f.entity == entity.code])
        for entity in custom_field_entities()
    ]
    return render(request, "contacts/custom_field_list.html", {"groups": groups})


def _save_custom_field(
    request: AuthenticatedHttpRequest, form: CustomFieldForm, field: CustomField | None
) -> CustomField | None:
    data = form.cleaned_data
    try:
        return save_custom_field(
            actor=request.user,
            entity=field.entity if field else data["entity"],
            key=field.key if field else data["key"],
            label_es=data["label_es"],
            label_en=data["label_en"],
            field_type=data["field_type"],
            choices=form.choice_lines(),
            choices_en=form.english_choice_lines(),
            field=field,
        )
    except ValidationFailed as exc:
        form.apply_service_errors(exc.errors)
        return None


@manages_fields
def custom_field_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Define a new custom field."""
    initial = {"entity": request.GET.get("entity", Entity.CONTACT), "field_type": "text"}
    form = CustomFieldForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        field = _save_custom_field(request, form, None)
        if field is not None:
            messages.success(request, _("Field %(label)s was created.") % {"label": field.label})
            return redirect("contacts:custom_field_list")
    return render(request, "contacts/custom_field_form.html", {"form": form, "field": None})


@manages_fields
def custom_field_edit(request: AuthenticatedHttpRequest, field_id: int) -> HttpResponse:
    """Change a custom field's label, type or choices (its key and record type stay)."""
    field = get_object_or_404(CustomField, pk=field_id)
    initial = {
        "entity": field.entity,
        "key": field.key,
        "label_es": field.label_es,
        "label_en": field.label_en,
        "field_type": field.field_type,
        "choices": "\n".join(str(c) for c in field.choices or []),
        "choices_en": "\n".join(str(c) for c in field.choices_en or []),
    }
    form = CustomFieldForm(request.POST or None, initial=initial, editing=True)
    if (
        request.method == "POST"
        and form.is_valid()
        and _save_custom_field(request, form, field) is not None
    ):
        messages.success(request, _("The field was saved."))
        return redirect("contacts:custom_field_list")
    return render(request, "contacts/custom_field_form.html", {"form": form, "field": field})
