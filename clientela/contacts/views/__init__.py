"""Contact and company screens (server-rendered, enhanced with HTMX)."""

from clientela.contacts.views.companies import (
    company_create,
    company_delete,
    company_detail,
    company_edit,
    company_list,
    company_note,
    company_options,
    company_restore,
)
from clientela.contacts.views.contacts import (
    contact_consent,
    contact_create,
    contact_delete,
    contact_detail,
    contact_edit,
    contact_list,
    contact_note,
    contact_options,
    contact_restore,
    contact_tags,
)
from clientela.contacts.views.merge import duplicates, merge, merge_undo, search, trash

__all__ = [
    "company_create",
    "company_delete",
    "company_detail",
    "company_edit",
    "company_list",
    "company_note",
    "company_options",
    "company_restore",
    "contact_consent",
    "contact_create",
    "contact_delete",
    "contact_detail",
    "contact_edit",
    "contact_list",
    "contact_note",
    "contact_options",
    "contact_restore",
    "contact_tags",
    "duplicates",
    "merge",
    "merge_undo",
    "search",
    "trash",
]
