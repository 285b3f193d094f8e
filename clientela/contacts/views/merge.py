"""Duplicates, the merge screen and its undo, the trash, and the global (Ctrl-K) search."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clientela.accounts.queries import has_capability
from clientela.contacts.duplicates import prepare_duplicates
from clientela.contacts.models import Company, Contact
from clientela.contacts.queries import (
    CompanyFilters,
    ContactFilters,
    companies_visible_to,
    contacts_visible_to,
    custom_fields_for,
    duplicate_groups,
    filter_companies,
    filter_contacts,
    get_contact_for_user,
    merges_for,
)
from clientela.contacts.services.merge import merge_contacts, undo_merge
from clientela.contacts.services.records import MERGEABLE_FIELDS
from clientela.contacts.views.common import paginate, require_capability
from clientela.contacts.views.timeline import field_label, plain_value
from clientela.core.exceptions import Conflict, NotFound, ValidationFailed
from clientela.core.http import domain_errors, page_number, querystring
from clientela.core.users import AuthenticatedHttpRequest

SEARCH_CONTACTS = 8
SEARCH_COMPANIES = 5
GROUP_MEMBERS = 10


def _label(name: str) -> str:
    return field_label(Contact, name)


def _value(contact: Contact, name: str) -> Any:
    """Return a comparable value of one mergeable field."""
    if name == "custom":
        return dict(contact.custom)
    return getattr(contact, name)


def _shown(contact: Contact, name: str) -> str:
    """Return a mergeable field as people read it."""
    if name == "company_id":
        return contact.company.name if contact.company else "—"
    if name == "owner_id":
        return str(contact.owner) if contact.owner else "—"
    if name == "custom":
        definitions = custom_fields_for()
        parts = [
            f"{definitions[k].label if k in definitions else k}: {plain_value(k, v)}"
            for k, v in sorted(contact.custom.items())
        ]
        return "; ".join(parts) or "—"
    return plain_value(name, getattr(contact, name))


def _comparison(
    a: Contact, b: Contact, survivor_side: str = "a"
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(differing rows, identical rows) for the side-by-side comparison."""
    differing: list[dict[str, Any]] = []
    same: list[dict[str, Any]] = []
    for name in (*MERGEABLE_FIELDS, "custom"):
        row: dict[str, Any] = {
            "name": name,
            "label": _("Custom fields") if name == "custom" else _label(name),
            "a": _shown(a, name),
            "b": _shown(b, name),
        }
        va, vb = _value(a, name), _value(b, name)
        if va == vb:
            if va not in (None, "", {}):
                same.append(row)
            continue
        # The surviving record's value by default, unless it is empty and the other's is not.
        row["empty_a"], row["empty_b"] = va in (None, "", {}), vb in (None, "", {})
        other_side = "b" if survivor_side == "a" else "a"
        row["default"] = other_side if row[f"empty_{survivor_side}"] else survivor_side
        differing.append(row)
    return differing, same


@domain_errors
@require_http_methods(["GET", "POST"])
def merge(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Compare two contacts side by side, choose the surviving values, merge."""
    user = request.user
    params = request.POST if request.method == "POST" else request.GET
    a = get_contact_for_user(user, params.get("a"))
    b = get_contact_for_user(user, params["b"]) if params.get("b") else None
    require_capability(user, "contacts.merge")
    if b is None or b.pk == a.pk:
        query = request.GET.get("q", "").strip()
        candidates = (
            list(
                filter_contacts(user, ContactFilters(q=query))
                .exclude(pk=a.pk)
                .select_related("company")[:20]
            )
            if query
            else []
        )
        return render(
            request,
            "contacts/merge_pick.html",
            {"a": a, "q": query, "candidates": candidates, "same": b is not None},
        )
    survivor_side = "b" if params.get("survivor") == "b" else "a"
    differing, same = _comparison(a, b, survivor_side)
    if request.method == "POST":
        survivor, other = (a, b) if survivor_side == "a" else (b, a)
        # Every field whose chosen value is the other record's, empty or not: the service then
        # copies it over, so choosing the other side's "—" really empties the field.
        take = [
            row["name"]
            for row in differing
            if request.POST.get(f"keep_{row['name']}", row["default"]) != survivor_side
        ]
        try:
            done = merge_contacts(survivor, other, actor=user, take_from_other=take)
        except (ValidationFailed, Conflict) as exc:
            text = (
                " ".join(m for ms in exc.errors.values() for m in ms)
                if isinstance(exc, ValidationFailed)
                else str(exc)
            )
            messages.error(request, text)
        else:
            # Named after the merge: the survivor may have taken the other's name.
            survivor.refresh_from_db()
            messages.success(
                request,
                _("“%(other)s” was merged into “%(survivor)s”.")
                % {"other": other, "survivor": survivor},
            )
            url = reverse("contacts:contact_detail", args=[survivor.pk])
            return redirect(f"{url}?merged={done.pk}")
    for row in differing:
        row["choice"] = request.POST.get(f"keep_{row['name']}", row["default"])
    return render(
        request,
        "contacts/merge.html",
        {
            "a": a,
            "b": b,
            "differing": differing,
            "same": same,
            "survivor": survivor_side,
            "tag_names": {
                side: ", ".join(t.name for t in rec.tags.all())
                for side, rec in (("a", a), ("b", b))
            },
        },
    )


@domain_errors
@require_POST
def merge_undo(request: AuthenticatedHttpRequest, pk: int, merge_id: int) -> HttpResponse:
    """Undo a merge into this contact: both records are separate again."""
    contact = get_contact_for_user(request.user, pk)
    require_capability(request.user, "contacts.merge")
    found = merges_for(contact).filter(pk=merge_id).first()
    if found is None:
        raise NotFound(_("This merge cannot be undone any more."))
    try:
        other = undo_merge(found, actor=request.user)
    except Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Merge undone: “%(name)s” is a separate contact again.") % {"name": other},
        )
    return redirect("contacts:contact_detail", pk=contact.pk)


@domain_errors
@require_GET
def duplicates(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show groups of contacts sharing an e-mail, a phone or a similar name at the same company."""
    user = request.user
    ready = prepare_duplicates()
    groups = duplicate_groups(user, live=ready.live, members=GROUP_MEMBERS)
    for group in groups:
        if group["field"] == "phone":
            group["shown"] = plain_value("phone", group["value"])
        elif group["field"] == "name":
            first = group["members"][0] if group["members"] else None
            group["shown"] = first.full_name if first else ""
            group["company"] = first.company if first else None
        else:
            group["shown"] = group["value"]
    return render(
        request,
        "contacts/duplicates.html",
        {
            "groups": groups,
            "can_merge": has_capability(user, "contacts.merge"),
            "waiting": ready.waiting,
        },
    )


@domain_errors
@require_GET
def trash(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show deleted contacts or companies, newest first, with Restore."""
    user = request.user
    kind = "companies" if request.GET.get("kind") == "companies" else "contacts"
    qs: QuerySet[Contact] | QuerySet[Company]
    if kind == "companies":
        qs = companies_visible_to(user, deleted=True).select_related("owner")
        model: type[Contact] | type[Company] = Company
    else:
        qs = contacts_visible_to(user, deleted=True).select_related("owner", "merged_into")
        model = Contact
    qs = qs.order_by("-deleted_at", "-id")
    page = paginate(qs, page_number(request.GET), user=user, filtered=True, model=model)
    survivors = {r.merged_into_id for r in page.rows if getattr(r, "merged_into_id", None)}
    return render(
        request,
        "contacts/trash.html",
        {
            "kind": kind,
            "page": page,
            # A survivor is named and linked only for whoever may see it.
            "visible_survivors": set(
                contacts_visible_to(user).filter(pk__in=survivors).values_list("pk", flat=True)
            )
            if survivors
            else set(),
            "can_restore": has_capability(user, "contacts.delete"),
            "prev_url": querystring(request.GET, page=page.number - 1 if page.number > 2 else None),
            "next_url": querystring(request.GET, page=page.number + 1),
        },
    )


@domain_errors
@require_GET
def search(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the Ctrl-K search: a fragment with the best few visible contacts and companies."""
    query = request.GET.get("q", "").strip()[:200]
    if not query:
        return render(request, "contacts/search_results.html", {"q": ""})
    user = request.user
    contacts = list(
        filter_contacts(user, ContactFilters(q=query)).select_related("company")[:SEARCH_CONTACTS]
    )
    companies = list(filter_companies(user, CompanyFilters(q=query))[:SEARCH_COMPANIES])
    return render(
        request,
        "contacts/search_results.html",
        {"q": query, "contacts": contacts, "companies": companies},
    )
