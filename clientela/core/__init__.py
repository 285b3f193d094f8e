"""Shared plumbing below every app: jobs, imports, exports, HTTP helpers and registries."""
