"""Build the native programs (the `.nm` host, the pt2 runtime) on first use; run only what we built.

Each program is compiled against the libtorch inside the installed torch wheel (the wheel's
``include`` and ``lib`` folders, as ``torch.utils.cpp_extension`` uses them; C++20, as those
headers require) into a cache folder keyed by its sources and the torch version:
``$NEUTONE_CACHE_DIR`` or ``~/.cache/neutone``, then ``native-host/<key>/<name>``. A binary names
no library folder (no rpath): `run_program` starts it with the running wheel's ``lib`` folder on
``LD_LIBRARY_PATH``, so one build serves every environment holding that torch, and removing the
environment it was built in leaves it working.

The cache is private: every folder we make in it is 0700; the cache root and those folders must be
owned by the user and not writable by anyone else, or nothing there is run (one line naming the
folder). Beside each binary we record the SHA-256 of what the compiler wrote; before every run
the binary's owner, mode (no write bit for group or others) and hash are checked, and a binary
that fails any of them is deleted and built again, never executed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import torch

from neutone_export.files.locking import exclusive_lock

_BUILD_TIMEOUT_S = 600
_FOLDER = Path(__file__).parent
_SHARED_HEADERS = ("counting_allocator.h", "driver_util.h")


class NativeHostError(ValueError):
    """A native program could not be built, or the file does not load or run in plain libtorch."""


@dataclass(frozen=True)
class NativeProgram:
    """A binary built from `sources` (compiled) and `headers` (hashed: a change rebuilds), linked
    with the wheel's `libraries`. Names are files of this folder; an absolute path (a program
    that embeds the runtime from elsewhere) is taken as it is."""

    name: str
    sources: Tuple[str, ...]
    headers: Tuple[str, ...] = _SHARED_HEADERS
    # The CPU library alone by default: the plugin's libtorch has no CUDA either.
    libraries: Tuple[str, ...] = ("torch_cpu", "c10")

    def files(self) -> List[Path]:
        return [_FOLDER / name for name in (*self.sources, *self.headers)]


def cache_dir() -> Path:
    """The cache root: ``$NEUTONE_CACHE_DIR`` or ``~/.cache/neutone``."""
    root = os.environ.get("NEUTONE_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "neutone"


def _compiler() -> str:
    for name in (os.environ.get("CXX"), "c++", "g++", "clang++"):
        if name and shutil.which(name):
            return name
    raise NativeHostError(
        "the native host needs a C++20 compiler and none was found: install g++ "
        "(Debian/Ubuntu: apt-get install g++) or set CXX"
    )


def has_compiler() -> bool:
    """Whether a C++ compiler is there to build the native programs with."""
    try:
        _compiler()
    except NativeHostError:
        return False
    return True


def _torch_paths() -> tuple[List[str], str]:
    """Header folders and library folder of the installed wheel (what cpp_extension would use)."""
    root = Path(torch.__file__).parent
    return [str(root / "include"), str(root / "include/torch/csrc/api/include")], str(root / "lib")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for chunk in iter(lambda: data.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def program_path(program: NativeProgram) -> Path:
    """Where `program` for these sources and this torch lives (it may not be built yet)."""
    digest = hashlib.sha256(torch.__version__.encode())
    digest.update(" ".join(program.libraries).encode())
    for path in program.files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return cache_dir() / "native-host" / digest.hexdigest()[:16] / program.name


def _refuse_unsafe(folder: Path, info: os.stat_result) -> None:
    """One line when `folder` is not the user's alone to write."""
    if info.st_uid != os.getuid():
        raise NativeHostError(
            f"native cache folder {folder} is owned by uid {info.st_uid}, not you "
            f"(uid {os.getuid()}): remove it or set NEUTONE_CACHE_DIR to a folder of yours"
        )
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise NativeHostError(
            f"native cache folder {folder} is writable by others "
            f"(mode {stat.S_IMODE(info.st_mode):o}): remove it or chmod go-w it"
        )


def _private_folder(folder: Path) -> None:
    """Make `folder` (and the cache root above it) exist, owned by the user, 0700 below the root.

    Raises `NativeHostError` for a folder someone else owns or may write, or a symlink.
    """
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)  # private whatever the umask
    _refuse_unsafe(root, root.stat())
    path = root
    for name in folder.relative_to(root).parts:
        path = path / name
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o700)
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
            raise NativeHostError(f"native cache path {path} is not a plain folder: remove it")
        _refuse_unsafe(path, info)
        if stat.S_IMODE(info.st_mode) != 0o700:
            path.chmod(0o700)


def _hash_file(binary: Path) -> Path:
    return binary.with_name(binary.name + ".sha256")


def is_trusted(binary: Path) -> bool:
    """Whether `binary` is a plain file of the user's, writable by no one else, whose content
    has the hash recorded when we built it."""
    try:
        info = binary.lstat()
        recorded = _hash_file(binary).read_text().strip()
    except OSError:
        return False
    return (
        stat.S_ISREG(info.st_mode)
        and info.st_uid == os.getuid()
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        and _sha256(binary) == recorded
    )


def _compile(program: NativeProgram, target: Path) -> None:
    """Compile into a temporary name, record its hash, rename: a failed or interrupted build never
    leaves a half-written or unrecorded binary."""
    compiler = _compiler()
    includes, lib_dir = _torch_paths()
    abi = int(torch._C._GLIBCXX_USE_CXX11_ABI)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        partial = Path(tmp) / target.name
        command = [
            compiler,
            "-O2",
            "-std=c++20",
            f"-D_GLIBCXX_USE_CXX11_ABI={abi}",
            f"-I{_FOLDER}",  # the runtime's headers, for a program built from elsewhere
            *(f"-I{path}" for path in includes),
            *(str(_FOLDER / source) for source in program.sources),
            "-o",
            str(partial),
            f"-L{lib_dir}",
            *(f"-l{library}" for library in program.libraries),
        ]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=_BUILD_TIMEOUT_S, check=False
        )
        if result.returncode != 0:
            errors = [line for line in result.stderr.splitlines() if "error" in line]
            first = errors[0] if errors else result.stderr.strip()[-300:]
            raise NativeHostError(f"building {program.name} with {compiler} failed: {first}")
        partial.chmod(0o700)
        recorded = Path(tmp) / _hash_file(target).name
        recorded.write_text(_sha256(partial) + "\n")
        os.replace(recorded, _hash_file(target))
        os.replace(partial, target)


def build_program(program: NativeProgram) -> Path:
    """The path of `program`'s trusted binary, compiling it first when there is none.

    A binary at the cache path that fails `is_trusted` (planted, altered, another owner, writable
    by others) is removed and rebuilt. Raises `NativeHostError` with the compiler's first error,
    or naming a cache folder that is not the user's alone.
    """
    target = program_path(program)
    _private_folder(target.parent)
    if is_trusted(target):
        return target
    # Two processes (two exports, test workers) asking at once build it once.
    with exclusive_lock(target.with_name(target.name + ".lock")):
        if is_trusted(target):
            return target
        for stale in (target, _hash_file(target)):
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale)
            else:
                stale.unlink(missing_ok=True)
        _compile(program, target)
    return target


def program_environment() -> Dict[str, str]:
    """The environment a built program runs in: this one, with the running wheel's library folder
    first on ``LD_LIBRARY_PATH``. The binaries carry no rpath; the loader also finds libtorch
    through this for the libraries a program opens itself (an AOTInductor package's)."""
    lib_dir = _torch_paths()[1]
    environment = dict(os.environ)
    before = environment.get("LD_LIBRARY_PATH")
    environment["LD_LIBRARY_PATH"] = f"{lib_dir}{os.pathsep}{before}" if before else lib_dir
    return environment


def run_program(program: NativeProgram, arguments: Sequence[str]) -> subprocess.CompletedProcess:
    """Run `program`'s binary (checked right before, rebuilt if it fails the check) against the
    running wheel's libtorch (`program_environment`)."""
    binary = build_program(program)
    return subprocess.run(
        [str(binary), *arguments],
        capture_output=True,
        text=True,
        check=False,
        env=program_environment(),
    )
