"""Template filters of insurance."""
