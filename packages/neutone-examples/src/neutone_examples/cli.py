"""`neutone-examples`: export the example models, validated, as `.nm` files and pt2 packages.

The app follows `neutone_export.cli_contract` (one-line errors, exit status, `--json FILE|-`, the
JSON envelope, `--version`, `--color/--no-color`). Each command lives in its own module and joins
with its `register(app)`; adding one is a new module `cli_<name>.py` plus its line below.
"""

from neutone_examples import cli_export
from neutone_export.cli.contract import make_app

app = make_app(
    "neutone-examples",
    "Example neutone models: export them, validated, as .nm files for the Neutone plugin "
    "(and as pt2 packages for a C++ runtime).",
)

cli_export.register(app)
