"""One rule for telling an exception in one line, so a failure reads the same on every path.

A TorchScript error carries the Python exception raised inside the model on its last line
(`builtins.ValueError: ...`), after a trace of the scripted code; that line names the problem. Any
other exception is told by its type and its first non-empty line.
"""

TORCHSCRIPT_HEADER = "The following operation failed in the TorchScript interpreter"


def one_line(error: BaseException) -> str:
    """`Type: what went wrong` in one line, for messages and check reports.

    Example:
        >>> one_line(ValueError("bad rate\\n  more detail"))
        'ValueError: bad rate'
        >>> one_line(RuntimeError("trace\\nbuiltins.ValueError: 44100 Hz only"))
        'ValueError: 44100 Hz only'
        >>> one_line(KeyboardInterrupt())
        'KeyboardInterrupt'
    """
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    carried = [line for line in lines if line.startswith("builtins.")]
    if carried:
        return carried[-1][len("builtins.") :]
    if lines[0].startswith(TORCHSCRIPT_HEADER):
        return lines[-1]  # an op failed inside the scripted code: its error is the last line
    return f"{type(error).__name__}: {lines[0]}"
