"""Helpers for end-to-end and browser tests: free ports, real server processes, Chromium."""
