"""The demo company, its seeding, and the commands that serve and run Clientela."""
