"""Background tasks of the contacts app (run by django-tasks' database worker, `db_worker`)."""

from clientela.contacts.importing.background import import_contacts
from clientela.contacts.importing.companies import import_companies

__all__ = ["import_companies", "import_contacts"]
