"""Spanish date and number formats."""
