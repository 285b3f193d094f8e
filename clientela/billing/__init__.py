"""Quotes, invoices with their instalment plans, and payments: what a won sale is billed."""
