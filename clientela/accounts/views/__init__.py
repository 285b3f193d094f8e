"""Account screens: sign-in, profile, and the administration of users, departments and roles."""
