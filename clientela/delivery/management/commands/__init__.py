"""`clientela sender` and the other delivery commands."""
