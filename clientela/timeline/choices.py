"""Channels and the record-lifecycle verbs, defined in core.events (kept here for imports).

Each app owns and registers its other verbs (contacts.choices.ContactVerb,
accounts.choices.AccountVerb, orders.choices.PURCHASE_VERB).
"""

from clientela.core.events import Verb, Via

__all__ = ["Verb", "Via"]
