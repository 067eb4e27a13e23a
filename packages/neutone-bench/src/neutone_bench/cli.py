"""The `neutone-bench` application: one typer app, each command in its own module.

The app follows `neutone_export.cli.contract` (one-line errors, exit status, `--json FILE|-`, the
JSON envelope, `--version`, `--color/--no-color`). Adding a command is a new module
`cli_<name>.py` whose `register(app)` joins it (`app.command("<name>")(<function>)`), plus its
`register(app)` line below. A command module imports torch only inside its command, so `--help`
never loads it.
"""

from neutone_bench import cli_latency, cli_profile, cli_response, cli_speed
from neutone_export.cli.contract import make_app

app = make_app(
    "neutone-bench",
    "Will a Neutone model run in realtime, with what latency, and where do time and memory go?",
)

cli_speed.register(app)
cli_latency.register(app)
cli_profile.register(app)
cli_response.register(app)
