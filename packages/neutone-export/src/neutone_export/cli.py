"""`neutone-export`: the command line of the validation suite.

The app follows `neutone_export.cli_contract` (one-line errors, exit status, `--json FILE|-`, the
JSON envelope, `--version`). Each command lives in its own module and joins the app with its
`register(app)` function; adding a command is a new module `cli_<name>.py` with a `register`
function, plus its `register(app)` line below. Command modules import torch only inside their
command, so `--help` stays fast.
"""

from neutone_export import cli_check, cli_import_nam, cli_info, cli_port, cli_render
from neutone_export.cli_contract import make_app

app = make_app("neutone-export", "Export, load and validate Neutone `.nm` model files.")

cli_check.register(app)
cli_info.register(app)
cli_render.register(app)
cli_port.register(app)
cli_import_nam.register(app)
