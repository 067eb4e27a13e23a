"""`python -m neutone_export`: the same app as the `neutone-export` command."""

from neutone_export.cli import app

if __name__ == "__main__":
    app(prog_name="neutone-export")
