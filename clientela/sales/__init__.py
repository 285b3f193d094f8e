"""Sales section: the sales plan and the sales analytics over deals."""
