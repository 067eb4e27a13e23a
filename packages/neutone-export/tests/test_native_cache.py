"""The native programs' cache runs only what we built: a planted, altered or foreign binary is
rebuilt, never executed; a cache folder someone else may write is refused with one line.

A stand-in compiler (``$CXX``, a shell script) writes a tiny program, so these tests need neither
g++ nor libtorch; the binaries it writes print who they are.
"""

import hashlib
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

from neutone_export.native.build import (
    NativeHostError,
    NativeProgram,
    build_program,
    is_trusted,
    program_path,
    run_program,
)

PROGRAM = NativeProgram("probe", ("neutone_host.cpp",))
OTHER_UID = 12345
as_root = pytest.mark.skipif(os.getuid() != 0, reason="making a file another user's needs root")

FAKE_COMPILER = """#!/bin/sh
# A stand-in for g++: writes a program that prints "built" to the path after -o.
while [ "$#" -gt 0 ]; do
  if [ "$1" = "-o" ]; then printf '#!/bin/sh\\necho built\\n' > "$2"; chmod 755 "$2"; fi
  shift
done
"""


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    compiler = tmp_path / "fake-cxx"
    compiler.write_text(FAKE_COMPILER)
    compiler.chmod(0o755)
    monkeypatch.setenv("CXX", str(compiler))
    cache = tmp_path / "cache"
    monkeypatch.setenv("NEUTONE_CACHE_DIR", str(cache))
    return cache


def _plant(binary: Path, marker: Path, mode: int = 0o700) -> None:
    """A binary that would leave `marker` behind if it ever ran."""
    binary.write_text(f"#!/bin/sh\ntouch {marker}\necho planted\n")
    binary.chmod(mode)


def _output(program: NativeProgram = PROGRAM) -> str:
    return run_program(program, []).stdout.strip()


def test_a_fresh_build_is_private_recorded_and_reused() -> None:
    binary = build_program(PROGRAM)
    assert _output() == "built"
    for folder in (binary.parent, binary.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert not binary.stat().st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    assert is_trusted(binary)
    mtime = binary.stat().st_mtime_ns
    assert build_program(PROGRAM) == binary and binary.stat().st_mtime_ns == mtime


def test_a_planted_binary_without_a_recorded_hash_is_rebuilt_not_run(tmp_path: Path) -> None:
    binary = program_path(PROGRAM)
    binary.parent.mkdir(parents=True, mode=0o700)
    _plant(binary, tmp_path / "ran")
    assert _output() == "built"
    assert not (tmp_path / "ran").exists()


def test_a_binary_altered_after_the_build_is_rebuilt_not_run(tmp_path: Path) -> None:
    binary = build_program(PROGRAM)
    _plant(binary, tmp_path / "ran")  # same path, same owner and mode, another content
    assert not is_trusted(binary)
    assert _output() == "built"
    assert not (tmp_path / "ran").exists()


def _plant_with_hash(binary: Path, marker: Path, mode: int) -> None:
    """A planted binary whose recorded hash matches it: only owner and mode can betray it."""
    _plant(binary, marker, mode)
    digest = hashlib.sha256(binary.read_bytes()).hexdigest()
    binary.with_name(binary.name + ".sha256").write_text(digest + "\n")


def test_a_binary_writable_by_others_is_rebuilt_not_run(tmp_path: Path) -> None:
    binary = build_program(PROGRAM)
    _plant_with_hash(binary, tmp_path / "ran", 0o777)
    assert not is_trusted(binary)
    assert _output() == "built"
    assert not (tmp_path / "ran").exists()
    assert not binary.stat().st_mode & stat.S_IWOTH


@as_root
def test_a_binary_owned_by_another_user_is_rebuilt_not_run(tmp_path: Path) -> None:
    binary = build_program(PROGRAM)
    _plant_with_hash(binary, tmp_path / "ran", 0o700)
    os.chown(binary, OTHER_UID, OTHER_UID)
    assert not is_trusted(binary)
    assert _output() == "built"
    assert not (tmp_path / "ran").exists()
    assert binary.stat().st_uid == os.getuid()


def test_a_cache_root_writable_by_others_is_refused_in_one_line(cache: Path) -> None:
    cache.mkdir()
    cache.chmod(0o777)
    with pytest.raises(NativeHostError) as error:
        run_program(PROGRAM, [])
    message = str(error.value)
    assert "\n" not in message
    assert f"native cache folder {cache} is writable by others (mode 777)" in message


@as_root
def test_a_cache_folder_owned_by_another_user_is_refused_in_one_line(tmp_path: Path) -> None:
    binary = build_program(PROGRAM)
    _plant(binary, tmp_path / "ran")
    os.chown(binary.parent, OTHER_UID, OTHER_UID)
    with pytest.raises(NativeHostError, match=f"is owned by uid {OTHER_UID}, not you"):
        run_program(PROGRAM, [])
    assert not (tmp_path / "ran").exists()


def test_a_symlinked_cache_folder_is_refused(tmp_path: Path) -> None:
    binary = program_path(PROGRAM)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    binary.parent.parent.mkdir(parents=True, mode=0o700)
    binary.parent.symlink_to(elsewhere)
    with pytest.raises(NativeHostError, match="is not a plain folder: remove it"):
        run_program(PROGRAM, [])


def test_a_new_cache_root_is_private_whatever_the_umask(cache: Path) -> None:
    old = os.umask(0o002)  # a group-writable default, as on systems with per-user groups
    try:
        build_program(PROGRAM)
    finally:
        os.umask(old)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert _output() == "built"


def test_two_callers_at_once_build_the_program_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A slow stand-in compiler that counts its runs; two callers at once (two exports, two test
    # workers) wait for one build instead of compiling twice.
    counted = tmp_path / "compiles"
    compiler = tmp_path / "slow-cxx"
    compiler.write_text(f"#!/bin/sh\necho run >> {counted}\nsleep 0.5\n" + FAKE_COMPILER[10:])
    compiler.chmod(0o755)
    monkeypatch.setenv("CXX", str(compiler))
    with ThreadPoolExecutor(max_workers=2) as pool:
        binaries = list(pool.map(lambda _: build_program(PROGRAM), range(2)))
    assert binaries[0] == binaries[1] and is_trusted(binaries[0])
    assert counted.read_text().splitlines() == ["run"]
    assert _output() == "built"


def test_a_binary_names_no_library_folder_and_runs_on_the_running_wheels_libtorch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One build serves every environment with this torch (the test cells, compat), and removing
    # the environment it was built in cannot leave it unable to start: no rpath, and the wheel
    # that runs it puts its own library folder first.
    arguments = tmp_path / "arguments"
    compiler = tmp_path / "recording-cxx"
    compiler.write_text(
        f'#!/bin/sh\necho "$@" > {arguments}\n'
        'while [ "$#" -gt 0 ]; do\n'
        '  if [ "$1" = "-o" ]; then printf \'#!/bin/sh\\necho "$LD_LIBRARY_PATH"\\n\' > "$2"; '
        'chmod 755 "$2"; fi\n'
        "  shift\n"
        "done\n"
    )
    compiler.chmod(0o755)
    monkeypatch.setenv("CXX", str(compiler))
    monkeypatch.setenv("LD_LIBRARY_PATH", "/somewhere/else")
    shown = _output().split(os.pathsep)
    assert "rpath" not in arguments.read_text()
    assert shown == [str(Path(torch.__file__).parent / "lib"), "/somewhere/else"]
