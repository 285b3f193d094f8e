"""The accounts app's commands (run as `clientela <command>`)."""
