"""Write files and folders so that a reader sees the old version or the new one, never a mix.

Every file our tools write (a `.nm`, JSON, plots, traces, samples) goes to a temporary name in the
same folder and is renamed into place, and a whole export is built in a temporary folder beside its
target and swapped in. A failure (an error, Ctrl-C, a full disk) removes the temporary and leaves
the previous file or folder byte-identical.
"""

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from typing import Callable, Iterator, List, Union

PathLike = Union[str, Path]

_RENAME_EXCHANGE = 2  # Linux renameat2 flag: swap two paths in one step
_AT_FDCWD = -100


def _sibling_temp_file(path: Path) -> Path:
    """A new, empty file beside `path`, hidden and named after it."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(name)


def atomic_write_with(path: PathLike, write: Callable[[Path], object]) -> None:
    """Let `write(temp_path)` write a file, then rename it to `path` in one step.

    For writers that want a path (`torch.jit.save`, `matplotlib.savefig`, a profiler trace). The
    temporary is removed if `write` raises (KeyboardInterrupt included); `path` is then unchanged.
    """
    target = Path(path)
    temp = _sibling_temp_file(target)
    try:
        write(temp)
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Write `data` to `path` through a temporary file renamed into place."""
    atomic_write_with(path, lambda temp: temp.write_bytes(data))


def atomic_write_text(path: PathLike, text: str) -> None:
    """Write `text` (UTF-8) to `path` through a temporary file renamed into place."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _staging_prefix(target: Path) -> str:
    return f".{target.name}.partial-"


def make_staging_folder(target: PathLike) -> Path:
    """A new, empty, hidden folder beside `target` in which to build its next version.

    Its name carries this process's id, so that a later export can tell one that was abandoned.
    """
    target = Path(target)
    prefix = f"{_staging_prefix(target)}{os.getpid()}-"
    return Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_abandoned_staging(target: PathLike) -> List[Path]:
    """Delete the hidden folders beside `target` that exports killed outright (SIGKILL, a power
    cut) left behind: those whose process no longer exists. Returns them.

    Only while `target` exists: a swap without `renameat2` moves the previous version into such a
    folder for a moment, and there it may be the only copy. Only on POSIX, where a process can be
    asked whether it exists without being touched.
    """
    target = Path(target)
    if os.name != "posix" or not target.is_dir():
        return []
    prefix = _staging_prefix(target)
    removed = []
    for entry in target.parent.iterdir():
        pid = entry.name[len(prefix) :].partition("-")[0]
        if not entry.name.startswith(prefix) or not pid.isdigit() or entry.is_symlink():
            continue
        if int(pid) == os.getpid() or _process_exists(int(pid)):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        if not entry.exists():
            removed.append(entry)
    return removed


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Hold back Ctrl-C (SIGINT) for the duration of the block, then deliver it.

    Only the main thread receives signals; elsewhere the block runs as is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received and callable(previous):
            previous(signal.SIGINT, None)  # Python's default handler raises KeyboardInterrupt
        elif received and previous == signal.SIG_DFL:
            raise KeyboardInterrupt


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one system call (Linux `renameat2`); False where that is unavailable."""
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name, use_errno=True) if name else None
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def replace_folder_atomically(staging: PathLike, target: PathLike) -> None:
    """Put the finished folder `staging` at `target`, replacing what was there, in one step.

    `staging` must sit beside `target` (same file system). Where the system cannot swap two folders
    in one call, the old folder is renamed away first with Ctrl-C held back, so an interrupt still
    leaves either the old folder or the new one at `target`. The old folder is then deleted.
    """
    staging, target = Path(staging), Path(target)
    with deferred_interrupt():
        if not target.exists():
            os.rename(staging, target)
            return
        if _exchange(staging, target):
            shutil.rmtree(staging)  # now holds the old version
            return
        old = make_staging_folder(target)
        os.rename(target, old / target.name)
        os.rename(staging, target)
        shutil.rmtree(old)
