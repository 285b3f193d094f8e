"""Companies: list, card, create, edit, trash and restore, notes, name suggestions."""

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

from clientela.accounts.choices import Visibility
from clientela.accounts.models import User
from clientela.accounts.queries import (
    assignable_owners,
    has_capability,
    users_visible_to,
    visibility_of,
)
from clientela.contacts import services
from clientela.contacts.choices import Entity
from clientela.contacts.custom_inputs import CUSTOM_PREFIX, custom_values_shown
from clientela.contacts.forms import CompanyForm, NoteForm, tag_names
from clientela.contacts.models import Company
from clientela.contacts.queries import (
    CompanyFilters,
    contacts_visible_to,
    custom_fields_for,
    filter_companies,
    get_company_for_user,
    may_import,
    tags_list,
    with_visible_contact_counts,
)
from clientela.contacts.views.common import (
    paginate,
    require_capability,
    save_edit,
    sort_links,
)
from clientela.contacts.views.scope import scope_hint
from clientela.contacts.views.timeline import timeline_for
from clientela.core.exceptions import ValidationFailed
from clientela.core.http import domain_errors, page_number, querystring, wants_partial
from clientela.core.users import AuthenticatedHttpRequest

SORT_COLUMNS = {"name": gettext_lazy("Name"), "created": gettext_lazy("Created")}
CARD_CONTACTS = 50


@domain_errors
@require_GET
def company_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the companies list: search, owner and tag filters, sorting and paging."""
    user = request.user
    params = request.GET
    filters = CompanyFilters.from_params(params)
    q, owner, tag, ordering = filters.q, filters.owner, filters.tag, filters.ordering
    qs = filter_companies(user, filters)
    qs = with_visible_contact_counts(user, qs.select_related("owner").prefetch_related("tags"))
    filtered = filters.active()
    page = paginate(qs, page_number(params), user=user, filtered=filtered, model=Company)
    context: dict[str, Any] = {
        "page": page,
        "q": q,
        "owner": owner,
        "tag": tag,
        "filtered": filtered,
        # An empty list says what the role's scope leaves out (the hint queried only then).
        "visibility": visibility_of(user),
        "scope_hint": partial(scope_hint, user, companies=True),
        "sort": sort_links(params, ordering, SORT_COLUMNS, {"created"}),
        "sort_value": ordering,
        "prev_url": querystring(params, page=page.number - 1 if page.number > 2 else None),
        "next_url": querystring(params, page=page.number + 1),
        "clear_url": reverse("contacts:company_list"),
        "can_write": has_capability(user, "contacts.write"),
        "import_url": reverse("contacts:company_import_start") if may_import(user) else None,
        "export_url": reverse("contacts:company_export") + querystring(params, page=None)
        if has_capability(user, "contacts.export")
        else None,
    }
    if wants_partial(request, "results"):
        return render(request, "contacts/company_list.html#results", context)
    context["owners"] = (
        users_visible_to(user).filter(is_active=True)
        if visibility_of(user) != Visibility.OWN
        else []
    )
    context["tags"] = tags_list()
    return render(request, "contacts/company_list.html", context)


def _owner_kwargs(user: User, current: User | None = None) -> dict[str, Any]:
    """Owner choices: whom the user may assign to, plus the current owner."""
    owners = list(assignable_owners(user))
    if current is not None and current not in owners:
        owners.append(current)
    # A record without owner is invisible to own-records roles: do not let them lose it.
    return {"owners": owners, "allow_nobody": visibility_of(user) == Visibility.ALL}


def _service_data(form: CompanyForm, company: Company | None) -> dict[str, Any]:
    """Return the form's values as the company services take them."""
    cleaned = form.cleaned_data
    data: dict[str, Any] = {
        name: cleaned[name]
        for name in form.fields
        if name not in {"owner", "tags", "version"} and not name.startswith(CUSTOM_PREFIX)
    }
    data["tags"] = tag_names(cleaned["tags"])
    custom = form.custom_values()
    if company is None:
        custom = {k: v for k, v in custom.items() if v != ""}
    data["custom"] = custom
    if company is None:
        if cleaned["owner"] is not None:
            data["owner"] = cleaned["owner"]
    elif cleaned["owner"] != company.owner_id:
        data["owner"] = cleaned["owner"]
    return data


@domain_errors
@require_http_methods(["GET", "POST"])
def company_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the new-company form and create the company it posts."""
    user = request.user
    require_capability(user, "contacts.write")
    custom_fields = custom_fields_for(Entity.COMPANY)
    kwargs = {"custom_fields": custom_fields, **_owner_kwargs(user)}
    if request.method != "POST":
        form = CompanyForm(initial={"owner": user.pk, "country": "CO"}, **kwargs)
    else:
        form = CompanyForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                company = services.create_company(actor=user, data=_service_data(form, None))
            except ValidationFailed as exc:
                form.apply_service_errors(exc.errors)
            else:
                messages.success(request, _("Company created."))
                return redirect("contacts:company_detail", pk=company.pk)
    return render(request, "contacts/company_form.html", {"form": form, "company": None})


@domain_errors
@require_http_methods(["GET", "POST"])
def company_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Edit a company; a concurrent change is caught by the version."""
    user = request.user
    company = get_company_for_user(user, pk, write=True)
    custom_fields = custom_fields_for(Entity.COMPANY)
    kwargs = {"custom_fields": custom_fields, **_owner_kwargs(user, company.owner)}
    if request.method != "POST":
        form = CompanyForm(initial=CompanyForm.initial_for(company, custom_fields), **kwargs)
        return render(request, "contacts/company_form.html", {"form": form, "company": company})
    post = request.POST.copy()
    form = CompanyForm(post, **kwargs)
    if form.is_valid() and save_edit(
        request,
        form,
        post,
        lambda: services.update_company(
            company,
            actor=user,
            data=_service_data(form, company),
            expected_version=form.cleaned_data["version"],
        ),
        lambda: get_company_for_user(user, pk).version,
    ):
        return redirect("contacts:company_detail", pk=company.pk)
    return render(request, "contacts/company_form.html", {"form": form, "company": company})


def _card_context(
    request: AuthenticatedHttpRequest, company: Company, **forms: Any
) -> dict[str, Any]:
    user = request.user
    custom_fields = custom_fields_for(Entity.COMPANY)
    timeline, truncated = timeline_for(user, company, custom_fields)
    contacts = list(
        contacts_visible_to(user)
        .filter(company=company)
        .select_related("owner")
        .order_by("last_name", "first_name", "id")[: CARD_CONTACTS + 1]
    )
    return {
        "company": company,
        "tags": list(company.tags.all()),
        "custom_values": custom_values_shown(custom_fields, company.custom),
        "contacts": contacts[:CARD_CONTACTS],
        "more_contacts": len(contacts) > CARD_CONTACTS,
        "contacts_url": f"{reverse('contacts:contact_list')}?company={company.pk}",
        "timeline": timeline,
        "timeline_truncated": truncated,
        "can_write": has_capability(user, "contacts.write"),
        "can_delete": has_capability(user, "contacts.delete"),
        "note_form": forms.get("note_form") or NoteForm(),
    }


@domain_errors
@require_GET
def company_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Show the company card: details, its contacts, notes and timeline."""
    company = get_company_for_user(request.user, pk)
    return render(request, "contacts/company_detail.html", _card_context(request, company))


@domain_errors
@require_http_methods(["GET", "POST"])
def company_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Ask, then move the company to the trash (its contacts stay)."""
    company = get_company_for_user(request.user, pk)
    require_capability(request.user, "contacts.delete")
    if request.method == "POST":
        services.delete_company(company, actor=request.user)
        messages.success(
            request,
            _("“%(name)s” was moved to the trash. You can restore it from there.")
            % {"name": company},
        )
        return redirect("contacts:company_list")
    return render(
        request,
        "contacts/confirm_delete.html",
        {
            "record": company,
            "is_company": True,
            "cancel_url": reverse("contacts:company_detail", args=[company.pk]),
            "action_url": reverse("contacts:company_delete", args=[company.pk]),
        },
    )


@domain_errors
@require_POST
def company_restore(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Bring a company back from the trash."""
    company = get_company_for_user(request.user, pk, deleted=True)
    require_capability(request.user, "contacts.delete")
    services.restore_company(company, actor=request.user)
    messages.success(request, _("“%(name)s” is back.") % {"name": company})
    return redirect("contacts:company_detail", pk=company.pk)


@domain_errors
@require_POST
def company_note(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Add a note to the company's timeline."""
    company = get_company_for_user(request.user, pk, write=True)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_note(actor=request.user, body=form.cleaned_data["body"], company=company)
        except ValidationFailed as exc:
            form.apply_service_errors(exc.errors)
        else:
            messages.success(request, _("Note added."))
            return redirect(reverse("contacts:company_detail", args=[company.pk]) + "#timeline")
    context = _card_context(request, company, note_form=form)
    return render(request, "contacts/company_detail.html", context)


@domain_errors
@require_GET
def company_options(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Company names for the company field's suggestions (a <datalist> body)."""
    q = request.GET.get("company_name", request.GET.get("q", "")).strip()[:200]
    names: list[str] = []
    if q:
        names = list(
            filter_companies(request.user, CompanyFilters(q=q)).values_list("name", flat=True)[:10]
        )
    return render(request, "contacts/includes/company_options.html", {"names": names})
