"""Contacts and companies: custom fields, tags, consent, duplicates and merges."""
