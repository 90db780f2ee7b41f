"""Script-level text helpers shared by every service (pure, no I/O)."""
