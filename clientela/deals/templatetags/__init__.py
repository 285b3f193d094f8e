"""Template filters of the deal screens."""
