"""E-mail campaigns: templates, audiences, scheduled and A/B sends, reports."""
