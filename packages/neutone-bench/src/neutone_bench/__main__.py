"""`python -m neutone_bench`: the same app as the `neutone-bench` command."""

from neutone_bench.cli import app

if __name__ == "__main__":
    app(prog_name="neutone-bench")
