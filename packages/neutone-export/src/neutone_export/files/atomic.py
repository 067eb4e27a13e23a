"""Write files and folders so that a reader sees the old version or the new one, never a mix.

Every file our tools write (a `.nm`, JSON, plots, traces, samples) goes to a temporary name in the
same folder and is renamed into place, and a whole export is built in a temporary folder beside its
target and swapped in. A failure (an error, Ctrl-C, a full disk) removes the temporary and leaves
the previous file or folder byte-identical.

One rule decides where an output may go (`resolve_output`, docs/output-files.md): a regular file
or a path that does not exist yet; a symlink is written through to its target (the link is kept);
`/dev/stdout`, `/dev/stderr` and `/dev/fd/N` (a pipe, `>(cmd)`) are written directly, never
replaced; a device, FIFO, socket or a path on a kernel file system (`/proc`, `/sys`) is refused
with `OutputPathError`. New files and folders honour the umask; a replaced file keeps its mode.
"""

import contextlib
import ctypes
import ctypes.util
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Tuple, Union

PathLike = Union[str, Path]

_RENAME_EXCHANGE = 2  # Linux renameat2 flag: swap two paths in one step
_AT_FDCWD = -100

#: File systems whose entries are the kernel's, not files: an output there is refused.
KERNEL_FILE_SYSTEMS = frozenset(
    {
        "proc",
        "sysfs",
        "devtmpfs",
        "devpts",
        "cgroup",
        "cgroup2",
        "debugfs",
        "tracefs",
        "securityfs",
        "configfs",
        "pstore",
        "bpf",
        "efivarfs",
        "mqueue",
        "binfmt_misc",
        "fusectl",
    }
)
_KERNEL_PREFIXES = (Path("/proc"), Path("/sys"))
_DESCRIPTOR_PATH = re.compile(r"^/(?:dev/fd|proc/self/fd)/(\d+)$")
_NAMED_DESCRIPTORS = {"/dev/stdout": 1, "/dev/stderr": 2}


class OutputPathError(ValueError):
    """An output path the rule refuses (a device, a FIFO, a kernel file, an unwritable folder);
    the message is one line naming the path."""


@dataclass(frozen=True)
class Destination:
    """Where a write to an output path lands.

    `path`: the file that receives the bytes (a symlink's final target). `descriptor`: for
    `/dev/stdout`, `/dev/stderr` and `/dev/fd/N`, the open descriptor written directly (never
    replaced); None for a file written through a temporary and a rename.
    """

    path: Path
    descriptor: Optional[int] = None


def _descriptor_of(path: Path) -> Optional[int]:
    """The descriptor number that `path` names (`/dev/stdout`, `/dev/fd/3`), or None."""
    text = os.path.normpath(str(path))
    if text in _NAMED_DESCRIPTORS:
        return _NAMED_DESCRIPTORS[text]
    match = _DESCRIPTOR_PATH.match(text)
    return int(match.group(1)) if match else None


def _mount_types() -> List[Tuple[Path, str]]:
    """(mount point, file system type) of every mount (Linux), longest mount point first."""
    try:
        with open("/proc/self/mounts", encoding="utf-8") as handle:
            rows = [line.split() for line in handle]
    except OSError:
        return []
    mounts = [(Path(row[1].replace("\\040", " ")), row[2]) for row in rows if len(row) >= 3]
    return sorted(mounts, key=lambda mount: len(str(mount[0])), reverse=True)


def _file_system_type(path: Path, mounts: List[Tuple[Path, str]]) -> str:
    for point, kind in mounts:
        if path == point or point in path.parents:
            return kind
    return ""


def on_kernel_file_system(path: PathLike) -> bool:
    """Whether `path` or its folder lies on a kernel file system (`/proc`, `/sys`, `/dev`...)."""
    real = Path(os.path.realpath(path))
    if any(real == prefix or prefix in real.parents for prefix in _KERNEL_PREFIXES):
        return True
    mounts = _mount_types()
    return any(_file_system_type(p, mounts) in KERNEL_FILE_SYSTEMS for p in (real, real.parent))


def _kind_of(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def resolve_output(path: PathLike) -> Destination:
    """Where writing `path` lands, by the one output rule; `OutputPathError` where it refuses.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "link.json").symlink_to(folder / "real.json")
    >>> resolve_output(folder / "link.json").path.name
    'real.json'
    >>> resolve_output("/dev/stdout").descriptor
    1
    """
    given = Path(path)
    descriptor = _descriptor_of(given)
    if descriptor is not None:
        try:
            os.fstat(descriptor)
        except OSError:
            raise OutputPathError(f"{given}: descriptor {descriptor} is not open") from None
        return Destination(given, descriptor)
    real = Path(os.path.realpath(given))
    try:
        mode: Optional[int] = os.stat(real).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise OutputPathError(f"{given}: cannot be written ({error.strerror})") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise OutputPathError(f"{given} is a folder; give a file name")
    if mode is not None and not stat.S_ISREG(mode):
        raise OutputPathError(
            f"{given} is {_kind_of(mode)}; give the path of a regular file (or '-' for stdout "
            "where the option takes it)"
        )
    if on_kernel_file_system(real):
        raise OutputPathError(f"{given} lies on a kernel file system (/proc, /sys, /dev)")
    return Destination(real)


def check_output_writable(path: PathLike) -> Destination:
    """`resolve_output(path)`, then proven writable by trying: a temporary file is created (and
    removed) in the target's folder and an existing file is opened for writing, before any work.
    """
    destination = resolve_output(path)
    if destination.descriptor is not None:
        return destination
    target = destination.path
    if not target.parent.is_dir():
        raise OutputPathError(f"folder {target.parent} does not exist; create it first")
    try:
        _sibling_temp_file(target).unlink()
        if target.exists():
            os.close(os.open(target, os.O_WRONLY))
    except OSError as error:
        where = target.parent if not target.exists() else target
        raise OutputPathError(f"{where} is not writable ({error.strerror})") from None
    return destination


def current_umask() -> int:
    """This process's umask (read without changing it where Linux reports it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _sibling_temp_file(path: Path) -> Path:
    """A new, empty file beside `path`, hidden and named after it."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(name)


def _take_mode(temp: Path, target: Path) -> None:
    """Give `temp` the mode (and, for root, the owner) of the file it replaces, or a new file's
    mode under the umask (0644 under 022), instead of `mkstemp`'s 0600."""
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        os.chmod(temp, 0o666 & ~current_umask())
        return
    os.chmod(temp, stat.S_IMODE(existing.st_mode))
    if os.geteuid() == 0 and (existing.st_uid, existing.st_gid) != (0, 0):
        os.chown(temp, existing.st_uid, existing.st_gid)


def _write_descriptor(descriptor: int, write: Callable[[Path], object]) -> None:
    """Let `write` fill a private temporary file, then copy it to the open `descriptor` (a pipe,
    a terminal, or the file a shell redirected stdout to: written after what is already there)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    with tempfile.TemporaryDirectory() as folder:
        temp = Path(folder) / "output"
        write(temp)
        with open(temp, "rb") as handle:
            while chunk := handle.read(1 << 20):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(descriptor, view) :]


def atomic_write_with(path: PathLike, write: Callable[[Path], object]) -> None:
    """Let `write(temp_path)` write a file, then rename it to `path` in one step.

    For writers that want a path (`torch.jit.save`, `matplotlib.savefig`, a profiler trace). The
    temporary is removed if `write` raises (KeyboardInterrupt included); `path` is then unchanged.
    `path` follows the output rule (`resolve_output`): a symlink's target is replaced (the link
    kept), `/dev/stdout` or `/dev/fd/N` written directly, a device or FIFO refused.
    """
    destination = resolve_output(path)
    if destination.descriptor is not None:
        _write_descriptor(destination.descriptor, write)
        return
    target = destination.path
    temp = _sibling_temp_file(target)
    try:
        write(temp)
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        _take_mode(temp, target)
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
    A symlinked `target` is built beside the folder it points to (the link is kept); the folder's
    mode honours the umask (0755 under 022).
    """
    target = Path(os.path.realpath(target))
    prefix = f"{_staging_prefix(target)}{os.getpid()}-"
    staging = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    os.chmod(staging, 0o777 & ~current_umask())
    return staging


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
    target = Path(os.path.realpath(target))
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
    A symlinked `target` is written through: the folder it points to is replaced, the link kept
    (`make_staging_folder` built `staging` beside that folder). A replaced folder keeps its mode.
    """
    staging, target = Path(staging), Path(os.path.realpath(target))
    if target.is_dir():
        os.chmod(staging, stat.S_IMODE(os.stat(target).st_mode))
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
