"""The analytics app's commands (run as `clientela <command>`)."""
