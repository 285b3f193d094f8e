"""Contact import: column presets, row cleaning and the resumable batch runner."""
