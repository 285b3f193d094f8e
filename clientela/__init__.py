"""Clientela: a self-hosted, bilingual (Spanish/English) CRM built on Django."""
