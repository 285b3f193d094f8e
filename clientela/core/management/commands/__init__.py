"""The core app's commands (run as `clientela <command>`)."""
