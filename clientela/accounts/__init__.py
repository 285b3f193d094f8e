"""Users, departments, roles, capabilities, API tokens and two-factor sign-in."""
