"""The demo app's commands (run as `clientela <command>`)."""
