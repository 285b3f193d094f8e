"""Activities: the user's tasks, calls, e-mails and meetings, and the in-app notifications."""
