"""neutone_core."""
