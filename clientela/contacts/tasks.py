"""Background tasks of the contacts app (run by django-tasks' database worker, `db_worker`)."""

from clientela.contacts.importing.background import import_contacts

__all__ = ["import_contacts"]
