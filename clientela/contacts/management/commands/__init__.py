"""The contacts app's commands (run as `clientela <command>`)."""
