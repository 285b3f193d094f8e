"""Deals: pipelines, stages, deals on a Kanban board, stage history and lost reasons."""
