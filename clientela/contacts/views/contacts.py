"""Contacts list, quick create, customer card, edit, trash and restore, tags, consent and notes."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from clientela.accounts.choices import Visibility
from clientela.accounts.models import User
from clientela.accounts.queries import (
    assignable_owners,
    has_capability,
    users_visible_to,
    visibility_of,
)
from clientela.contacts import services
from clientela.contacts.choices import (
    ConsentChannel,
    ConsentPurpose,
    CustomFieldType,
    Entity,
    LeadStatus,
    LifecycleStage,
    Source,
)
from clientela.contacts.custom_inputs import CUSTOM_PREFIX, custom_values_shown
from clientela.contacts.forms import (
    FILTERABLE_CUSTOM_TYPES,
    ConsentForm,
    ContactForm,
    NoteForm,
    QuickContactForm,
    TagsForm,
    tag_names,
)
from clientela.contacts.models import Company, Contact, CustomField
from clientela.contacts.panels import contact_panels
from clientela.contacts.queries import (
    CompanyFilters,
    ContactFilters,
    companies_visible_to,
    current_consents,
    custom_fields_for,
    duplicates_of,
    extra_filter_labels,
    filter_companies,
    filter_contacts,
    get_contact_for_user,
    merges_for,
    survivor_for_user,
    tags_list,
)
from clientela.contacts.views.common import (
    paginate,
    require_capability,
    save_edit,
    sort_links,
)
from clientela.contacts.views.scope import scope_hint
from clientela.contacts.views.timeline import timeline_for
from clientela.core.exceptions import Conflict, NotFound, ValidationFailed
from clientela.core.http import (
    domain_errors,
    is_htmx_request,
    page_number,
    querystring,
    wants_partial,
)
from clientela.core.users import AuthenticatedHttpRequest

SORT_COLUMNS = {"name": gettext_lazy("Name"), "created": gettext_lazy("Created")}
SORT_OPTIONS = [
    ("-created", gettext_lazy("Newest first")),
    ("created", gettext_lazy("Oldest first")),
    ("name", gettext_lazy("Last name A–Z")),
    ("-name", gettext_lazy("Last name Z–A")),
    ("-updated", gettext_lazy("Recently updated")),
    ("updated", gettext_lazy("Least recently updated")),
]


def _filter_controls(
    filters: ContactFilters, custom_fields: dict[str, CustomField]
) -> list[dict[str, Any]]:
    """Return the custom-field filters offered above the list (choice, yes/no and text fields)."""
    controls = []
    for key, definition in custom_fields.items():
        if definition.field_type not in FILTERABLE_CUSTOM_TYPES:
            continue
        if definition.field_type == CustomFieldType.BOOLEAN:
            options = [("true", _("Yes")), ("false", _("No"))]
        elif definition.field_type == CustomFieldType.CHOICE:
            options = definition.options()
        else:
            options = []
        controls.append(
            {
                "name": CUSTOM_PREFIX + key,
                "label": definition.label,
                "kind": definition.field_type,
                "options": options,
                "value": filters.custom.get(key, ""),
            }
        )
    return controls


@domain_errors
@require_GET
def contact_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the contacts list: search, filters, sorting and paging; HTMX swaps only the results."""
    user = request.user
    custom_fields = custom_fields_for(Entity.CONTACT)
    filters = ContactFilters.from_params(request.GET, custom_fields)
    qs = filter_contacts(user, filters).select_related("owner", "company").prefetch_related("tags")
    page = paginate(
        qs, page_number(request.GET), user=user, filtered=filters.active(), model=Contact
    )
    company_name = None
    if filters.company:
        company_name = (
            companies_visible_to(user)
            .filter(pk=filters.company)
            .values_list("name", flat=True)
            .first()
        )
    params = request.GET
    export_url = reverse("contacts:export") if has_capability(user, "contacts.export") else None
    context = {
        "page": page,
        "filters": filters,
        "filtered": filters.active(),
        "company_name": company_name,
        "extra_labels": extra_filter_labels(user, filters),
        "sort": sort_links(params, filters.ordering, SORT_COLUMNS, {"created"}),
        "sort_options": SORT_OPTIONS,
        # Users who only see their own records would read their own name on every row.
        "show_owner": visibility_of(user) != Visibility.OWN,
        # An empty list says what the role's scope leaves out.
        "visibility": visibility_of(user),
        # Called by the template only when the list is empty (no query otherwise).
        "scope_hint": partial(scope_hint, user),
        "prev_url": querystring(params, page=page.number - 1 if page.number > 2 else None),
        "next_url": querystring(params, page=page.number + 1),
        "clear_url": reverse("contacts:contact_list"),
        "can_write": has_capability(user, "contacts.write"),
        "import_url": reverse("contacts:import_start")
        if has_capability(user, "contacts.import")
        else None,
        "export_url": f"{export_url}{querystring(params, page=None)}" if export_url else None,
    }
    if wants_partial(request, "results"):
        return render(request, "contacts/contact_list.html#results", context)
    context.update(
        {
            "owners": users_visible_to(user).filter(is_active=True)
            if visibility_of(user) != Visibility.OWN
            else [],
            "tags": tags_list(),
            "stages": LifecycleStage.choices,
            "lead_statuses": LeadStatus.choices,
            "sources": Source.choices,
            "custom_filters": _filter_controls(filters, custom_fields),
            "quick_form": QuickContactForm(),
        }
    )
    return render(request, "contacts/contact_list.html", context)


@domain_errors
@require_http_methods(["GET", "POST"])
def contact_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Quick create: a few fields, errors shown inline without losing what was typed."""
    require_capability(request.user, "contacts.write")
    form = QuickContactForm(request.POST.copy() if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and _company_is_settled(request, form):
        try:
            contact = services.create_contact_at_company(
                actor=request.user,
                data=form.service_data(),
                company_name=form.cleaned_data["company_name"],
            )
        except ValidationFailed as exc:
            form.apply_service_errors(exc.errors)
        else:
            messages.success(request, _("Contact created."))
            url = reverse("contacts:contact_detail", args=[contact.pk])
            return HttpResponseClientRedirect(url) if is_htmx_request(request) else redirect(url)
    if wants_partial(request):
        return render(request, "contacts/includes/quick_form.html", {"quick_form": form})
    return render(request, "contacts/contact_create.html", {"quick_form": form})


def _company_is_settled(request: AuthenticatedHttpRequest, form: QuickContactForm) -> bool:
    """Whether the typed company is an existing one, or a new one the user meant to create.

    Typing "Inmo" and pressing Enter before picking "Inmobiliaria Andina" would otherwise
    create a stray company: when similar companies exist, ask once before creating it.
    """
    name = " ".join(form.cleaned_data["company_name"].split())
    if not name or name == form.cleaned_data["confirmed_company"]:
        return True
    visible = companies_visible_to(request.user)
    if visible.filter(name__iexact=name).exists():
        return True
    similar = list(
        filter_companies(request.user, CompanyFilters(q=name)).values_list("name", flat=True)[:3]
    )
    if not similar:
        return True
    form.data["confirmed_company"] = name  # type: ignore[index]
    form.add_error(
        "company_name",
        _(
            "No company is called “%(name)s” yet. Did you mean %(similar)s? Pick it from the "
            "suggestions, or press “Create contact” again to add “%(name)s” as a new company."
        )
        % {"name": name, "similar": ", ".join(f"“{s}”" for s in similar)},
    )
    return False


def _card_context(
    request: AuthenticatedHttpRequest, contact: Contact, **forms: Any
) -> dict[str, Any]:
    """Everything the customer card shows."""
    user = request.user
    custom_fields = custom_fields_for(Entity.CONTACT)
    can_merge = has_capability(user, "contacts.merge")
    undoable = set(merges_for(contact).values_list("pk", flat=True)) if can_merge else set()
    timeline, truncated = timeline_for(user, contact, custom_fields, undoable_merges=undoable)
    consents = current_consents(contact)
    consent_grid = [
        {
            "channel": channel_label,
            "cells": [
                consents.get((channel, purpose)) for purpose, _label in ConsentPurpose.choices
            ],
        }
        for channel, channel_label in ConsentChannel.choices
    ]
    merged_banner = None
    try:
        merged_param = int(request.GET.get("merged", ""))
    except ValueError:
        merged_param = None
    if merged_param in undoable:
        merged_banner = merged_param
    tags = list(contact.tags.all())
    return {
        "contact": contact,
        "tags": tags,
        "custom_values": custom_values_shown(custom_fields, contact.custom),
        "consent_purposes": [label for _value, label in ConsentPurpose.choices],
        "consent_grid": consent_grid,
        "duplicates": duplicates_of(user, contact),
        "timeline": timeline,
        "timeline_truncated": truncated,
        "merged_banner": merged_banner,
        "can_write": has_capability(user, "contacts.write"),
        "can_delete": has_capability(user, "contacts.delete"),
        "can_export": has_capability(user, "contacts.export"),
        "can_merge": can_merge,
        "note_form": forms.get("note_form") or NoteForm(),
        "consent_form": forms.get("consent_form") or ConsentForm(),
        "tags_form": forms.get("tags_form")
        or TagsForm(initial={"tags": ", ".join(t.name for t in tags)}),
        "consent_open": "consent_form" in forms,
        "panels": contact_panels(request, contact),
    }


@domain_errors
@require_GET
def contact_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Show the customer card; the old address of a merged-away contact leads to its survivor."""
    try:
        contact = get_contact_for_user(request.user, pk)
    except NotFound:
        survivor = survivor_for_user(request.user, pk)
        if survivor is None:
            raise
        return redirect("contacts:contact_detail", survivor)
    return render(request, "contacts/contact_detail.html", _card_context(request, contact))


def _resolve_company(user: User, name: str, current: Company | None) -> tuple[bool, int | None]:
    """(found, company id) for the company typed by name; (False, None) when none matches."""
    name = " ".join(name.split())
    if not name:
        return True, None
    if current is not None and current.name == name:
        return True, current.pk
    visible = companies_visible_to(user).order_by("id")
    pk = (
        visible.filter(name=name).values_list("pk", flat=True).first()
        or visible.filter(name__iexact=name).values_list("pk", flat=True).first()
    )
    return (pk is not None), pk


@domain_errors
@require_http_methods(["GET", "POST"])
def contact_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Edit every field; a concurrent change is caught by the version and explained."""
    user = request.user
    contact = get_contact_for_user(user, pk, write=True)
    custom_fields = custom_fields_for(Entity.CONTACT)
    owners = list(assignable_owners(user))
    if contact.owner and contact.owner not in owners:
        owners.append(contact.owner)
    # A record without owner is invisible to own-records roles: do not let them lose it.
    allow_nobody = visibility_of(user) == Visibility.ALL
    kwargs: dict[str, Any] = {
        "custom_fields": custom_fields,
        "owners": owners,
        "allow_nobody": allow_nobody,
    }
    if request.method != "POST":
        form = ContactForm(initial=ContactForm.initial_for(contact, custom_fields), **kwargs)
        return render(request, "contacts/contact_form.html", {"form": form, "contact": contact})
    post = request.POST.copy()
    form = ContactForm(post, **kwargs)
    if form.is_valid():
        cleaned = form.cleaned_data
        data: dict[str, Any] = {
            name: cleaned[name]
            for name in form.fields
            if name not in {"owner", "company_name", "tags", "version"}
            and not name.startswith(CUSTOM_PREFIX)
        }
        data["tags"] = tag_names(cleaned["tags"])
        data["custom"] = form.custom_values()
        if cleaned["owner"] != contact.owner_id:
            data["owner"] = cleaned["owner"]
        found, company_id = _resolve_company(user, cleaned["company_name"], contact.company)
        if not found:
            form.add_error(
                "company_name",
                _("No company is called “%(name)s”. Pick one from the list or create it first.")
                % {"name": cleaned["company_name"]},
            )
        else:
            if company_id != contact.company_id:
                data["company"] = company_id
            if save_edit(
                request,
                form,
                post,
                lambda: services.update_contact(
                    contact, actor=user, data=data, expected_version=cleaned["version"]
                ),
                lambda: get_contact_for_user(user, pk).version,
            ):
                return redirect("contacts:contact_detail", pk=contact.pk)
    return render(request, "contacts/contact_form.html", {"form": form, "contact": contact})


@domain_errors
@require_http_methods(["GET", "POST"])
def contact_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Ask, then move the contact to the trash."""
    contact = get_contact_for_user(request.user, pk)
    require_capability(request.user, "contacts.delete")
    if request.method == "POST":
        services.delete_contact(contact, actor=request.user)
        messages.success(
            request,
            _("“%(name)s” was moved to the trash. You can restore it from there.")
            % {"name": contact},
        )
        return redirect("contacts:contact_list")
    return render(
        request,
        "contacts/confirm_delete.html",
        {
            "record": contact,
            "cancel_url": reverse("contacts:contact_detail", args=[contact.pk]),
            "action_url": reverse("contacts:contact_delete", args=[contact.pk]),
        },
    )


@domain_errors
@require_POST
def contact_restore(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Bring a contact back from the trash."""
    contact = get_contact_for_user(request.user, pk, deleted=True)
    require_capability(request.user, "contacts.delete")
    try:
        services.restore_contact(contact, actor=request.user)
    except Conflict as exc:
        messages.error(request, str(exc))
        return redirect("contacts:trash")
    messages.success(request, _("“%(name)s” is back.") % {"name": contact})
    return redirect("contacts:contact_detail", pk=contact.pk)


@domain_errors
@require_POST
def contact_tags(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Replace the contact's tags (inline on the card)."""
    contact = get_contact_for_user(request.user, pk, write=True)
    form = TagsForm(request.POST)
    if form.is_valid():
        try:
            contact = services.update_contact(
                contact, actor=request.user, data={"tags": tag_names(form.cleaned_data["tags"])}
            )
        except ValidationFailed as exc:
            form.apply_service_errors(exc.errors)
    if wants_partial(request):
        tags = list(contact.tags.all())
        if not form.errors:
            form = TagsForm(initial={"tags": ", ".join(t.name for t in tags)})
        return render(
            request,
            "contacts/contact_detail.html#tags",
            {"contact": contact, "tags": tags, "tags_form": form, "can_write": True},
        )
    if form.errors:
        context = _card_context(request, contact, tags_form=form)
        return render(request, "contacts/contact_detail.html", context)
    messages.success(request, _("Tags saved."))
    return redirect("contacts:contact_detail", pk=contact.pk)


@domain_errors
@require_POST
def contact_consent(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Record a new consent decision with its source and proof."""
    contact = get_contact_for_user(request.user, pk, write=True)
    form = ConsentForm(request.POST)
    if form.is_valid():
        try:
            services.record_consent(
                contact,
                actor=request.user,
                channel=form.cleaned_data["channel"],
                purpose=form.cleaned_data["purpose"],
                status=form.cleaned_data["status"],
                source=form.cleaned_data["source"],
                proof=form.cleaned_data["proof"],
            )
        except ValidationFailed as exc:
            form.apply_service_errors(exc.errors)
        else:
            messages.success(request, _("Consent recorded."))
            return redirect(reverse("contacts:contact_detail", args=[contact.pk]) + "#consent")
    context = _card_context(request, contact, consent_form=form)
    return render(request, "contacts/contact_detail.html", context)


@domain_errors
@require_POST
def contact_note(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Add a note to the contact's timeline."""
    contact = get_contact_for_user(request.user, pk, write=True)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_note(actor=request.user, body=form.cleaned_data["body"], contact=contact)
        except ValidationFailed as exc:
            form.apply_service_errors(exc.errors)
        else:
            messages.success(request, _("Note added."))
            return redirect(reverse("contacts:contact_detail", args=[contact.pk]) + "#timeline")
    context = _card_context(request, contact, note_form=form)
    return render(request, "contacts/contact_detail.html", context)


# How many matches a contact picker offers (more typing narrows them).
PICKER_CONTACTS = 15


@domain_errors
@require_GET
def contact_options(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Contacts matching a search, for a contact picker (an HTMX fragment of choices)."""
    q = request.GET.get("picker_q", request.GET.get("q", "")).strip()[:200]
    found = (
        list(
            filter_contacts(request.user, ContactFilters(q=q))
            .select_related("company")
            .order_by("last_name", "first_name", "id")[:PICKER_CONTACTS]
        )
        if len(q) >= 2
        else []
    )
    return render(request, "contacts/includes/contact_options.html", {"found": found, "q": q})
