"""Writes for contacts and companies: the only code that creates, changes, merges or deletes them.

One entry point for adapters and other apps (``from clientela.contacts import services``); the
work lives in modules named by purpose: ``contacts``, ``companies``, ``tags``, ``notes``,
``consents``, ``merge`` (and the merge registries), ``custom_fields``, and ``records`` (what
contact and company writes share, internal to this package).
"""

from __future__ import annotations

from clientela.contacts.services.companies import (
    create_company,
    delete_company,
    get_company_or_404,
    restore_company,
    update_company,
)
from clientela.contacts.services.consents import (
    ConsentDecision,
    ContactConsents,
    record_consent,
    record_consents,
    record_consents_many,
)
from clientela.contacts.services.contacts import (
    create_checked_contact,
    create_checked_contacts,
    create_contact,
    create_contact_at_company,
    delete_contact,
    refuse_email_in_use,
    restore_contact,
    route_contact,
    route_contacts,
    update_contact,
)
from clientela.contacts.services.custom_fields import save_custom_field
from clientela.contacts.services.merge import (
    MERGE_LISTENERS,
    MERGE_RELATIONS,
    merge_contacts,
    register_merge_listener,
    register_merge_relation,
    undo_merge,
)
from clientela.contacts.services.notes import add_note
from clientela.contacts.services.records import (
    MERGEABLE_FIELDS,
    company_search_text,
    contact_search_text,
    region,
)
from clientela.contacts.services.tags import tags_from_names

__all__ = [
    "MERGEABLE_FIELDS",
    "MERGE_LISTENERS",
    "MERGE_RELATIONS",
    "ConsentDecision",
    "ContactConsents",
    "add_note",
    "company_search_text",
    "contact_search_text",
    "create_checked_contact",
    "create_checked_contacts",
    "create_company",
    "create_contact",
    "create_contact_at_company",
    "delete_company",
    "delete_contact",
    "get_company_or_404",
    "merge_contacts",
    "record_consent",
    "record_consents",
    "record_consents_many",
    "refuse_email_in_use",
    "region",
    "register_merge_listener",
    "register_merge_relation",
    "restore_company",
    "restore_contact",
    "route_contact",
    "route_contacts",
    "save_custom_field",
    "tags_from_names",
    "undo_merge",
    "update_company",
    "update_contact",
]
