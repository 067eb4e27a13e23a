"""neutone_filters."""
