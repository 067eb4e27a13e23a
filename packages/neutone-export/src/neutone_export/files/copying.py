"""Independent copies of a scripted module, one per check and per demo render.

Every check works on a fresh copy (its own state). A deep copy shares the compiled code with the
original, so it runs at full speed from its first call; a round trip through an in-memory archive
(save, load) compiles every method anew, and TorchScript's profiling executor then warms each one
again on first use (about 0.1 s per method and copy). Measured on this repository's models, the
round trip made a whole validation 5 to 9 times slower (identity 7.7 s against 0.9 s, the TCN
example 36.9 s against 7.0 s).

What a deep copy loses is aliasing: two tensors that share storage (a view kept as an attribute)
become two separate tensors. neutone-core's adapter makes its views in
`set_daw_sample_rate_and_buffer_size`, which every user of a copy calls first, as the plugin does;
the model inside it is deep-copied only when none of its tensors share storage (counted in its
archive), and copied through the archive otherwise, as is any module that is not our adapter.
"""

import collections
import copy
import io
import pickle
import zipfile
from typing import Any, Counter

import torch

USER_MODEL_ATTRIBUTE = "w2w_base"
"""The attribute of neutone-core's `RealtimeAdapter` that holds the user's model."""


def copy_script_module(
    module: torch.jit.ScriptModule, deep: bool | None = None
) -> torch.jit.ScriptModule:
    """An independent copy of a scripted module with its own state, as fast as is faithful.

    `deep`: whether a deep copy of `module` is faithful, when the caller already knows it
    (`deep_copy_is_faithful`, which costs a save of the user's model).
    """
    if deep is None:
        deep = deep_copy_is_faithful(module)
    return copy.deepcopy(module) if deep else copy_through_archive(module)


def copy_through_archive(module: torch.jit.ScriptModule) -> torch.jit.ScriptModule:
    """A copy loaded from an in-memory archive of `module`: every tensor, view and shared
    storage as a saved file holds them, and every method compiled anew."""
    buffer = io.BytesIO()
    torch.jit.save(module, buffer)
    buffer.seek(0)
    return torch.jit.load(buffer, map_location="cpu")


def deep_copy_is_faithful(module: torch.jit.ScriptModule) -> bool:
    """Whether `module` is our adapter (it ties its views anew when configured) and the user's
    model inside it holds no two tensors on one storage."""
    if not module._c.hasattr(USER_MODEL_ATTRIBUTE):
        return False
    user_model = getattr(module, USER_MODEL_ATTRIBUTE)
    if not isinstance(user_model, torch.jit.ScriptModule):
        return False
    buffer = io.BytesIO()
    torch.jit.save(user_model, buffer)
    try:
        counts = storage_references(buffer.getvalue())
    except Exception:  # noqa: BLE001 -- an archive this census cannot read: the archive copy
        return False
    return all(count == 1 for count in counts.values())


class _Placeholder:
    """Stands for every object of a pickled module except its tensors, which are counted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass


def storage_references(archive: bytes) -> Counter[str]:
    """Storage key -> how many tensors of the archive's `data.pkl` are built on it (more than
    one: views, or one tensor held twice). No class of the archive is imported or run.

    Example:
        >>> shared = torch.jit.script(torch.nn.Linear(2, 2))
        >>> buffer = io.BytesIO()
        >>> torch.jit.save(shared, buffer)
        >>> sorted(storage_references(buffer.getvalue()).values())
        [1, 1]
    """
    counts: Counter[str] = collections.Counter()

    def count_tensor(storage: Any, *args: Any) -> _Placeholder:
        if isinstance(storage, str):  # the tensor kinds built on a storage; a parameter wraps one
            counts[storage] += 1
        return _Placeholder()

    class Census(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            if module == "torch._utils" and name.startswith("_rebuild_"):
                return count_tensor
            return collections.OrderedDict if name == "OrderedDict" else _Placeholder

        def persistent_load(self, pid: Any) -> str:
            # ("storage", storage type, key, location, size): the key names the storage.
            return str(pid[2]) if isinstance(pid, tuple) and len(pid) > 2 else repr(pid)

    with zipfile.ZipFile(io.BytesIO(archive)) as files:
        for name in files.namelist():
            if name.endswith("/data.pkl"):
                Census(io.BytesIO(files.read(name))).load()
    return counts
