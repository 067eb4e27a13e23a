"""neutone_bench."""
