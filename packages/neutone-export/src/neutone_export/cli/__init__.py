"""`neutone-export`: the command line of the validation suite.

The app follows `neutone_export.cli.contract` (one-line errors, exit status, `--json FILE|-`, the
JSON envelope, `--version`). Each command lives in its own module and joins the app with its
`register(app)` function; adding a command is a new module ``cli/<name>.py`` with a `register`
function, plus its `register(app)` line below. Command modules import torch only inside their
command, so `--help` stays fast.
"""

from neutone_export.cli import check, import_nam, info, port, render
from neutone_export.cli.contract import make_app

app = make_app("neutone-export", "Export, load and validate Neutone `.nm` model files.")

check.register(app)
info.register(app)
render.register(app)
port.register(app)
import_nam.register(app)
