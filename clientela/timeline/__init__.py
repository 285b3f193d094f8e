"""Append-only events: each record's timeline and the audit log."""
