"""neutone_examples."""
