"""`python -m neutone_export` runs the `neutone-export` command line."""

from neutone_export.cli import app

app(prog_name="neutone-export")
