"""`python -m neutone_examples`: the same app as the `neutone-examples` command."""

from neutone_examples.cli import app

if __name__ == "__main__":
    app(prog_name="neutone-examples")
