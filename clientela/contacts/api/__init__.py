"""API for contacts and companies (mounted at /api/v1/contacts and /api/v1/companies)."""

from clientela.contacts.api.companies import companies_router
from clientela.contacts.api.contacts import contacts_router

__all__ = ["companies_router", "contacts_router"]
