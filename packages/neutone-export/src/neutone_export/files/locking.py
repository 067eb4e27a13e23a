"""One exclusive lock across processes, so that what two processes ask for at once (a native build,
two exports or test workers wanting the same entry) is made once while the other waits."""

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def exclusive_lock(path: Path, mode: int = 0o600) -> Iterator[None]:
    """Hold an exclusive lock on the file `path` (created with `mode` if missing) for the block."""
    handle = os.open(path, os.O_CREAT | os.O_RDWR, mode)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock
