"""Write the pt2 package of a wrapper: `<export_dir>/model.pt2pkg/`, beside `model.nm`.

The folder holds one AOTInductor package per graph (`neutone_export.pt2.capture`), the runtime
plan (`neutone_export.pt2.plan`: resampler banks, delays, knob tables for every supported host
rate) and ``manifest.json``, which says what each file is, the model's settings, how state is kept
and how to reset it. It is built in a hidden folder beside its place and swapped in whole, so a
failure leaves the previous package as it was.

Each compiled graph is proven before it is kept: loaded back, it must equal the eager block
method over `STATE_BLOCKS` consecutive blocks of noise, so the in-place state persists between
calls as it does in the `.nm`.
"""

import json
import shutil
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import torch

from neutone_core import RealtimeAdapter, WaveformToWaveformBase
from neutone_core.metadata import build_metadata
from neutone_export.errors import one_line
from neutone_export.files.atomic import make_staging_folder, replace_folder_atomically
from neutone_export.pt2.capture import (
    BlockForward,
    ForwardSpec,
    PackageExportError,
    capture_adapter,
    export_forward,
    forward_specs,
)
from neutone_export.pt2.plan import write_runtime_plan

PACKAGE_DIR = "model.pt2pkg"
MANIFEST = "manifest.json"
FORMAT = "neutone-pt2"
VERSION = 1
PLAN_FILE = "plan.bin"
#: How many consecutive blocks the compiled graph must match the eager one on.
STATE_BLOCKS = 20
#: Largest |difference| allowed between the compiled and the eager block (see `check_graph`).
GRAPH_TOLERANCE = 1e-4
STATE_NOTE = (
    "in-place buffers: the model's state lives in buffers the graph updates in place; each loaded "
    "copy of a forward package keeps its own"
)
RESET = "reload"

Progress = Callable[[str], None]


def package_path(export_dir: Path) -> Path:
    """Where `write_package` puts the package of an export in `export_dir`."""
    return Path(export_dir) / PACKAGE_DIR


def write_package(
    wrapper: WaveformToWaveformBase,
    export_dir: Path,
    *,
    resampling_quality: str = "high",
    progress: Optional[Progress] = None,
) -> Path:
    """Capture, compile and prove every graph of `wrapper`; write the package folder atomically.

    Returns the package folder. Each compile takes tens of seconds; `progress` gets one line per
    step.

    Raises:
        PackageExportError: torch.export cannot capture the model, or a compiled graph does not
            equal the eager block method (one line); nothing is written.
    """
    say = progress or (lambda line: None)
    target = package_path(export_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    specs = forward_specs(wrapper)
    programs = []
    for spec in specs:
        programs.append(export_forward(wrapper, spec, resampling_quality))
    staging = make_staging_folder(target)
    try:
        entries = []
        for index, (spec, program) in enumerate(zip(specs, programs, strict=True)):
            say(f"pt2: compiling {spec.file} ({index + 1}/{len(specs)}, tens of seconds)")
            started = time.perf_counter()
            file = staging / spec.file
            compile_graph(program, file)
            difference = check_graph(wrapper, spec, file, resampling_quality)
            say(
                f"pt2: {spec.file} compiled in {time.perf_counter() - started:.0f} s; "
                f"{STATE_BLOCKS} consecutive blocks equal the eager model (max |difference| "
                f"{difference:.2g})"
            )
            entries.append(_forward_entry(spec, program, wrapper))
        write_runtime_plan(wrapper, staging, resampling_quality)
        manifest = build_manifest(wrapper, entries, resampling_quality)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        replace_folder_atomically(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    say(f"pt2: wrote {target}")
    return target


def compile_graph(program: torch.export.ExportedProgram, file: Path) -> None:
    """AOTInductor-compile `program` into the package `file` (PackageExportError, one line)."""
    try:
        # Joint-graph constant folding (torch 2.14) treats the buffers the graph mutates as
        # constants: the package would read the initial state forever (a counter stuck at 0).
        torch._inductor.aoti_compile_and_package(
            program,
            package_path=str(file),
            inductor_configs={"joint_graph_constant_folding": False},
        )
    except Exception as error:  # any compile failure becomes one line
        raise PackageExportError(
            f"AOTInductor cannot compile {file.name}: {one_line(error)}"
        ) from error


def _forward_entry(
    spec: ForwardSpec, program: torch.export.ExportedProgram, wrapper: WaveformToWaveformBase
) -> Dict[str, Any]:
    context = int(wrapper.get_look_behind_samples()) + int(wrapper.get_look_ahead_samples())
    state = sorted(set(program.graph_signature.buffers_to_mutate.values()))
    return {
        "buffer_size": spec.buffer_size,
        "window": context + spec.buffer_size,
        "file": spec.file,
        "dynamic": spec.dynamic,
        "sample_rate": spec.sample_rate,
        "max_block": spec.max_block,
        "state_buffers": [name.removeprefix("adapter.w2w_base.") for name in state],
    }


def build_manifest(
    wrapper: WaveformToWaveformBase, forwards: List[Dict[str, Any]], resampling_quality: str
) -> Dict[str, Any]:
    """The manifest's dictionary (the format is in ``docs/pt2.md``)."""
    adapter = RealtimeAdapter(wrapper, resampling_quality)
    metadata = json.loads(json.dumps(build_metadata(wrapper)))
    knobs = [knob.to_metadata_dict() for knob in wrapper.get_neutone_parameters()]
    return {
        "format": FORMAT,
        "version": VERSION,
        "metadata": metadata,
        "in_channels": adapter.in_ch,
        "out_channels": adapter.out_ch,
        "native_sample_rates": list(adapter.native_srs),
        "native_buffer_sizes": list(adapter.native_bss),
        "look_behind": adapter.look_behind,
        "look_ahead": adapter.look_ahead,
        "model_delay": adapter.model_delay,
        "knob_rows": adapter.knobs.rows,
        "knobs": knobs,
        "default_positions": [float(v) for v in adapter.knobs.defaults.view(-1)],
        "resampling_quality": resampling_quality,
        "forwards": forwards,
        "state": STATE_NOTE,
        "reset": RESET,
        "plan_file": PLAN_FILE,
        "torch_version": torch.__version__,
    }


def check_graph(
    wrapper: WaveformToWaveformBase, spec: ForwardSpec, file: Path, resampling_quality: str
) -> float:
    """Max |difference| between the compiled graph in `file` and the eager block method over
    `STATE_BLOCKS` consecutive blocks of noise (random knob positions held per block).

    Raises:
        PackageExportError: they differ by more than `GRAPH_TOLERANCE` (state not kept, or a
            value the export froze), naming the first block that does.
    """
    compiled = torch._inductor.aoti_load_package(str(file))
    eager = BlockForward(capture_adapter(wrapper, spec, resampling_quality))
    generator = torch.Generator().manual_seed(0)
    adapter = eager.adapter
    worst = 0.0
    for block in range(STATE_BLOCKS):
        n = spec.buffer_size or [64, 512, 1, 300][block % 4]
        window = adapter.look_behind + n + adapter.look_ahead
        x = torch.rand(adapter.in_ch, window, generator=generator) - 0.5
        positions = torch.rand(adapter.knobs.rows, 1, generator=generator).expand(-1, n)
        positions = positions.contiguous()
        with torch.no_grad():
            expected = eager(x.clone(), positions)
            found = compiled(x.clone(), positions)
        difference = float((expected - found).abs().max()) if n else 0.0
        if not difference <= GRAPH_TOLERANCE:
            raise PackageExportError(
                f"the compiled graph {spec.file} differs from the eager model by {difference:.3g} "
                f"at block {block + 1} of {STATE_BLOCKS} (block 1: a value frozen at export; "
                "later: state not kept between calls)"
            )
        worst = max(worst, difference)
    return worst
