"""neutone_export."""
