"""English date and number formats."""
