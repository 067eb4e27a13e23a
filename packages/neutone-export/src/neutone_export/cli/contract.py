"""The one contract of neutone's command lines: `neutone-export`, `-bench` and `-examples`.

Every CLI builds its app with `make_app` and follows these rules:

- `--version` prints the package, torch and Python versions; `--color/--no-color` (default: colour
  on a terminal unless `NO_COLOR` is set) applies to every console made here.
- Results (tables, JSON) go to stdout; progress, warnings and errors to stderr.
- An error is one line on stderr, never a traceback: exit 2 for bad input (a bad option value, a
  missing, corrupt or foreign file, an output path that cannot be written; any `ValueError` of the
  API), 1 for a failed check or an error of the machine (a full disk), 130 for Ctrl-C.
  `NEUTONE_DEBUG=1` re-raises instead, for the traceback.
- `--json FILE|-`: FILE receives the JSON and the table still goes to stdout; `-` puts the JSON on
  stdout instead of the table. The JSON is one envelope: `tool`, `version`, `torch`, `python`,
  `platform`, `cpu`, `threads`, `created`, then the command's own data; NaN and infinity become
  `null`.
- Every output path is checked before any work (`check_output_file`, `check_output_folder`) and
  every file is written to a temporary name and renamed into place (`write_output`), by the one
  output rule of docs/output-files.md (devices, FIFOs, sockets and `/proc` refused; symlinks
  written through; `-`, `/dev/stdout` and pipes written directly; new files honour the umask).

Only typer, rich and the standard library are imported here, so `--help` never starts torch: a
command imports what it needs when it runs.
"""

import datetime
import json
import math
import os
import platform
import re
import sys
import warnings
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, Callable, Dict, Iterable, List, Optional, Sequence

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

#: `--json` value that means "the JSON on stdout, instead of the table".
STDOUT = "-"
#: Environment variable that turns the one-line error back into a traceback.
DEBUG_ENV = "NEUTONE_DEBUG"

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

JsonOption = Annotated[
    Optional[str],
    typer.Option(
        "--json",
        metavar="FILE|-",
        help="Write the results as JSON to FILE (the table still goes to stdout); "
        "'-': the JSON on stdout instead of the table.",
        show_default=False,
    ),
]


class BadInput(typer.BadParameter):
    """Bad input, shown as `Error: <message>` on one line; exit status 2."""

    exit_code = EXIT_BAD_INPUT

    def format_message(self) -> str:
        """The message as given (no "Invalid value for" prefix: the message names the option)."""
        return self.message


def _is_click_error(exc: BaseException) -> bool:
    """A click-style exception (typer vendors click, so its classes are not `click`'s)."""
    return hasattr(exc, "exit_code") and callable(getattr(exc, "format_message", None))


class _Settings:
    """Per-invocation choices of the app callback (colour)."""

    color: Optional[bool] = None


_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def shown(value: object) -> str:
    r"""`value` as text to print with Rich: text read from a file is data, never markup or a
    terminal command, so markup is escaped and control characters are written as `\x1b`.

    >>> print(shown("[bold]x\x1b"))
    \[bold]x\x1b
    """
    return escape(_visible(str(value)))


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in str(text).splitlines() if line.strip())


def _visible(text: str) -> str:
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _error(message: str) -> None:
    typer.echo(f"Error: {_visible(_one_line(message))}", err=True)


def _exit_code_for(exc: BaseException) -> int:
    """Exit status for an exception that reached the app: a `ValueError` is bad input, unless it
    reports checks that failed (it says so with a true class attribute `failed_check`)."""
    if getattr(exc, "failed_check", False):
        return EXIT_FAILED
    return EXIT_BAD_INPUT if isinstance(exc, ValueError) else EXIT_FAILED


class ContractGroup(TyperGroup):
    """A typer group whose errors are one line on stderr with the contract's exit status."""

    def main(  # type: ignore[override]
        self,
        args: Optional[Sequence[str]] = None,
        prog_name: Optional[str] = None,
        complete_var: Optional[str] = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the app; in standalone mode, exit with the contract's status."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except KeyboardInterrupt:
            code = EXIT_INTERRUPTED
        except Exception as exc:  # noqa: BLE001  # every error becomes one line and an exit status
            if type(exc).__name__ == "NoArgsIsHelpError":  # no arguments: the help text
                exc.show()  # type: ignore[attr-defined]
                sys.exit(exc.exit_code)  # type: ignore[attr-defined]
            if type(exc).__name__ == "Abort":
                code = EXIT_INTERRUPTED
            elif _is_click_error(exc):  # typer.BadParameter, usage errors, BadInput
                _error(exc.format_message())  # type: ignore[attr-defined]
                sys.exit(exc.exit_code)  # type: ignore[attr-defined]
            else:
                self._fail(exc)
        if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C into this exit status
            _error("interrupted")
        sys.exit(code if isinstance(code, int) else 0)

    @staticmethod
    def _fail(exc: Exception) -> None:
        """One line for an exception no command turned into a message (or re-raise, to debug)."""
        if os.environ.get(DEBUG_ENV):
            raise exc
        if isinstance(exc, OSError) and exc.strerror:
            where = f": {exc.filename}" if exc.filename else ""
            _error(f"{exc.strerror}{where}")
        elif isinstance(exc, ValueError):
            _error(str(exc))
        else:
            _error(
                f"{type(exc).__name__}: {_one_line(str(exc))} (an internal error: please report "
                f"it; {DEBUG_ENV}=1 shows the traceback)"
            )
        sys.exit(_exit_code_for(exc))


def version_text(distribution: str) -> str:
    """`<distribution> <version> (torch <version>, python <version>)`, without importing torch."""
    return (
        f"{distribution} {_version_of(distribution)} "
        f"(torch {_version_of('torch')}, python {platform.python_version()})"
    )


def _version_of(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def make_app(distribution: str, help_text: str) -> typer.Typer:
    """The typer app of `distribution`, with `--version`, `--color/--no-color` and one-line errors.

    Each command lives in its own module and joins with `register(app)`.
    """
    app = typer.Typer(
        name=distribution,
        help=help_text,
        cls=ContractGroup,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    def show_version(value: bool) -> None:
        if value:
            typer.echo(version_text(distribution))
            raise typer.Exit()

    @app.callback()
    def main(
        version: Annotated[
            bool,
            typer.Option(
                "--version",
                callback=show_version,
                is_eager=True,
                help="Show the package, torch and Python versions and exit.",
            ),
        ] = False,
        color: Annotated[
            Optional[bool],
            typer.Option(
                "--color/--no-color",
                help="Colour in the output (default: on a terminal, unless NO_COLOR is set).",
                show_default=False,
            ),
        ] = None,
    ) -> None:
        _Settings.color = color
        # The plugin loads TorchScript, so torch's deprecation of it is noise in every command.
        warnings.filterwarnings(
            "ignore", message=r"`torch\.jit\.\w+` is deprecated", category=FutureWarning
        )

    main.__doc__ = help_text
    return app


def _console(stderr: bool) -> Console:
    if _Settings.color is True:  # the flag wins over NO_COLOR and over a pipe
        return Console(stderr=stderr, force_terminal=True, no_color=False, soft_wrap=stderr)
    no_color = _Settings.color is False or bool(os.environ.get("NO_COLOR"))
    return Console(stderr=stderr, no_color=no_color, soft_wrap=stderr, highlight=False)


def stdout_console() -> Console:
    """Console for results: tables sized to the terminal (80 columns when piped)."""
    return _console(stderr=False)


def stderr_console() -> Console:
    """Console for progress, warnings and messages; a message stays on one line."""
    return _console(stderr=True)


# --- the JSON envelope -----------------------------------------------------------------------


def cpu_name() -> str:
    """The processor's model name (Linux `/proc/cpuinfo`, macOS `sysctl`), else the architecture."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        import subprocess

        try:
            out = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"],
                capture_output=True,
                text=True,
                check=True,
                timeout=5,
            )
            return out.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine()


def envelope(
    distribution: str, data: Dict[str, Any], threads: Optional[int] = None
) -> Dict[str, Any]:
    """The JSON every command writes: who wrote it, on what, when; then the command's `data`.

    `threads`: torch intra-op threads the figures were made with (default: torch's current count).
    """
    if threads is None:
        import torch

        threads = torch.get_num_threads()
    head: Dict[str, Any] = {
        "tool": distribution,
        "version": _version_of(distribution),
        "torch": _version_of("torch"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu_name(),
        "threads": threads,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    return {**head, **data}


def _finite(value: Any) -> Any:
    """NaN and infinity (not JSON) as `None`, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def json_text(payload: Dict[str, Any]) -> str:
    """Indented, strictly valid JSON (NaN and infinity as `null`), ending with a newline."""
    return json.dumps(_finite(payload), indent=2, allow_nan=False) + "\n"


def emit_json(payload: Dict[str, Any], target: str) -> None:
    """Write `payload` to `target`: `-` is stdout, anything else by the output rule
    (`write_output`: a file renamed into place, `/dev/stdout` or a pipe written directly)."""
    text = json_text(payload)
    if target == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_output(Path(target), lambda temp: temp.write_text(text, encoding="utf-8"))


def table_wanted(json_target: Optional[str]) -> bool:
    """Whether the table goes to stdout (always, unless `--json -` put the JSON there)."""
    return json_target != STDOUT


# --- output paths ----------------------------------------------------------------------------


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_input_file(path: Path, argument: str) -> Path:
    """`path` as a file the command reads, checked before torch loads (a wrong path answers at
    once, not after seconds of imports); `BadInput` naming `argument` if it is not a file."""
    if not path.exists():
        raise BadInput(f"{argument}: {path}: no such file")
    if not path.is_file():
        raise BadInput(f"{argument}: {path}: not a file")
    return path


def check_output_file(
    value: Optional[str],
    option: str,
    inputs: Iterable[Path] = (),
    allow_stdout: bool = False,
) -> Optional[Path]:
    """`value` as a file path a command may write, checked before any work; `BadInput` if not.

    The one output rule (`neutone_export.files.atomic.resolve_output`, docs/output-files.md):
    refused are a folder, a device, a FIFO, a socket, a path on `/proc` or `/sys`, a folder that
    does not exist or cannot be written (found by creating a temporary file there), and any of the
    command's `inputs` (writing there would destroy what is being read). A symlink is written
    through; `/dev/stdout` and `/dev/fd/N` are written directly. `-` passes through as `None`
    when `allow_stdout`.
    """
    from neutone_export.files.atomic import OutputPathError, check_output_writable

    if value is None or (allow_stdout and value == STDOUT):
        return None
    path = Path(value)
    if value == STDOUT:
        raise BadInput(f"{option}: '-' (stdout) is not accepted here; give a file name")
    try:
        destination = check_output_writable(path)
    except OutputPathError as error:
        raise BadInput(f"{option}: {error}") from None
    if destination.descriptor is not None:
        return path
    for source in inputs:
        same = _same_file(destination.path, Path(source))
        if same or destination.path == Path(os.path.realpath(source)):
            raise BadInput(f"{option}: {path} is the input; writing there would destroy it")
    return path


def check_output_folder(value: Path, option: str) -> Path:
    """`value` as a folder a command may create or write into; `BadInput` if it cannot.

    A symlink to a folder is written through; a kernel file system (`/proc`, `/sys`) is refused;
    writability is found by creating (and removing) a temporary folder in it.
    """
    import tempfile

    from neutone_export.files.atomic import on_kernel_file_system

    if value.exists() and not value.is_dir():
        raise BadInput(f"{option}: {value} is a file; give a folder")
    existing = value if value.exists() else value.parent
    if not existing.is_dir():
        raise BadInput(f"{option}: folder {existing} does not exist; create it first")
    if on_kernel_file_system(existing):
        raise BadInput(f"{option}: {value} lies on a kernel file system (/proc, /sys, /dev)")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".neutone-probe-", dir=existing))
    except OSError as error:
        raise BadInput(f"{option}: folder {existing} is not writable ({error.strerror})") from None
    return value


def check_distinct(outputs: Dict[str, Optional[Path]]) -> None:
    """Refuse two options that name the same output file (option name -> path or `None`)."""
    seen: Dict[Path, str] = {}
    for option, path in outputs.items():
        if path is None:
            continue
        key = path.resolve()
        if key in seen:
            raise BadInput(f"{option} and {seen[key]} name the same file {path}")
        seen[key] = option


def write_output(path: Path, write: Callable[[Path], object]) -> None:
    """Let `write(temp)` write a file beside `path`, then rename it into place in one step.

    `path` follows the output rule (`files.atomic.resolve_output`): a symlink's target is
    replaced (the link kept), `/dev/stdout` and `/dev/fd/N` are written directly. A failure (an
    error, Ctrl-C, a full disk) leaves `path` as it was and no temporary behind.
    """
    from neutone_export.files.atomic import atomic_write_with

    atomic_write_with(path, write)


# --- limits ----------------------------------------------------------------------------------


def checked(check: Callable[[Any, str], Any], value: Any, option: str) -> Any:
    """`check(value, option)` from `neutone_core.limits`, its `LimitError` as `BadInput`."""
    try:
        return check(value, option)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def checked_all(check: Callable[[Any, str], Any], values: Sequence[Any], option: str) -> List[Any]:
    """`checked` on each value of a repeatable option."""
    return [checked(check, value, option) for value in values]
