"""Build the realtime adapter around a model and script it, with errors that say what to change.

TorchScript's own messages point at a line but rarely say why it is wrong or what the usual fix is.
When scripting fails, `script_neutone_model` finds the method of the user's class that holds the
failing line, names the cause among the common ones (a missing type annotation, a Python construct
TorchScript does not support, a helper left in Python, a method of the inner model that TorchScript
cannot see, an attribute of a type it cannot hold) and raises `ScriptingError` with the fix.
"""

import difflib
import inspect
import io
import re
import traceback
import typing
from dataclasses import dataclass
from typing import Any, Callable, Iterator, List, Tuple

import torch
from torch import nn

from neutone_core import RealtimeAdapter, WaveformToWaveformBase
from neutone_export.files.freezing import freeze_for_plugin
from neutone_export.files.tracing import trace_inner_model
from neutone_export.sdk15.no_grad import unwrap_no_grad_methods
from neutone_export.suite.plugin_methods import REQUIRED_METHODS

_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')
_MISSING_ATTRIBUTE = re.compile(r"Module '(?P<owner>\w+)' has no attribute '(?P<attr>\w+)'")
_PYTHON_CALL = re.compile(r"Could not export Python function call '(?P<name>\w+)'")
_UNANNOTATED = re.compile(
    r"Inferred '(?P<arg>\w+)' to be of type 'Tensor' because it was not annotated"
)
_FOUND_TYPE = re.compile(r"for argument '(?P<arg>\w+)' but instead found type '(?P<found>[^']+)'")
_BAD_DEFAULT = re.compile(
    r'Expected a default value of type (?P<type>[\w\[\], ]+) on parameter "(?P<arg>\w+)"'
)
_NO_ATTRIBUTE_OR_METHOD = re.compile(
    r"'(?P<owner>[^']+)' object has no attribute or method '(?P<attr>\w+)'"
)
_CONVERT = re.compile(r"failed to convert Python type: '(?P<type>[^']+)'")
_LIBRARY_DIRS = ("/torch/", "/neutone_core/", "/neutone_export/")


class ScriptingError(ValueError):
    """TorchScript could not compile the model; the message names the method, the line and the usual
    fix.

    Attributes: `method` ("Class.method" or None), `filename`, `lineno`, `cause` (a short tag:
    "annotation", "unsupported", "python-call", "not-exported", "not-visible", "attribute-type",
    "missing-attribute", "other"), `fix`, `torchscript_message` (TorchScript's full text),
    `module_path` (where the failing class sits in the wrapper, e.g.
    "self.model.layers[3]", or None) and `traceable` (the failure is inside ``self.model``, which
    the trace fallback can replace).
    """

    module_path: str | None = None
    traceable: bool = False

    def __init__(
        self,
        message: str,
        method: str | None,
        filename: str | None,
        lineno: int | None,
        cause: str,
        fix: str,
        torchscript_message: str,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.filename = filename
        self.lineno = lineno
        self.cause = cause
        self.fix = fix
        self.torchscript_message = torchscript_message


class ModelDefinitionError(ValueError):
    """The model breaks a rule the adapter relies on (a getter's return type, an undeclared knob);
    the one-line message names the method and the fix."""


@dataclass
class _Site:
    """Where the failure is: a file, a line, the code there and the user's function holding it."""

    filename: str
    lineno: int
    code: str
    function: str | None


def _user_classes(model: nn.Module) -> List[type]:
    """Classes whose source is the user's: the model's own classes and those of its submodules."""
    classes: List[type] = []
    for module in model.modules():
        for cls in type(module).__mro__:
            name = getattr(cls, "__module__", "") or ""
            if name.split(".")[0] in ("torch", "neutone_core", "builtins") or cls in classes:
                continue
            classes.append(cls)
    return classes


def _functions_of(cls: type) -> Iterator[Tuple[str, Callable[..., Any]]]:
    for name, member in vars(cls).items():
        value = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
        if inspect.isfunction(value):
            yield f"{cls.__name__}.{name}", inspect.unwrap(value)


def _find_function(model: nn.Module, filename: str, lineno: int) -> str | None:
    """The "Class.method" (or module-level function) whose source spans `filename:lineno`."""
    candidates: List[Tuple[str, Callable[..., Any]]] = []
    modules_seen = set()
    for cls in _user_classes(model):
        candidates += list(_functions_of(cls))
        owner = inspect.getmodule(cls)
        if owner is not None and owner not in modules_seen:
            modules_seen.add(owner)
            candidates += [
                (name, value)
                for name, value in vars(owner).items()
                if inspect.isfunction(value) and value.__module__ == owner.__name__
            ]
    for qualified, function in candidates:
        try:
            source_file = inspect.getsourcefile(function)
            lines, start = inspect.getsourcelines(function)
        except (OSError, TypeError):
            continue
        if source_file == filename and start <= lineno < start + len(lines):
            return qualified
    return None


def _site(model: nn.Module, text: str) -> _Site | None:
    """The first frame of TorchScript's message in the user's code, else the first frame."""
    frames = [(m.group("file"), int(m.group("line")), m.end()) for m in _FRAME.finditer(text)]
    if not frames:
        return None
    user = [f for f in frames if not any(part in f[0] for part in _LIBRARY_DIRS)]
    filename, lineno, end = (user or frames)[0]
    code = ""
    previous = ""
    for line in text[end:].splitlines()[1:]:
        marker = line.replace("<--- HERE", "").strip()
        if marker and set(marker) <= {"~", "^"}:
            code = previous  # the line TorchScript underlines, i.e. the one at `lineno`
            break
        previous = line
    return _Site(filename, lineno, code.rstrip(), _find_function(model, filename, lineno))


def _attribute_owner(model: nn.Module, owner: str, attr: str) -> nn.Module | None:
    """The submodule of class `owner` (TorchScript's name for it) that the failing access reads."""
    for module in model.modules():
        names = {type(module).__name__, getattr(module, "original_name", "")}
        if owner in names:
            return module
    return None


def _diagnose(model: nn.Module, error: BaseException, text: str) -> Tuple[str, str, str]:
    """(cause tag, cause sentence, usual fix) for TorchScript's message."""
    match = _PYTHON_CALL.search(text)
    if match:
        name = match.group("name")
        return (
            "python-call",
            (
                f"`{name}` stays a Python function (marked @torch.jit.ignore or "
                "@torch.jit.unused), and a `.nm` file cannot hold Python code"
            ),
            (
                f"remove the decorator from `{name}` so that TorchScript compiles it (and make its "
                "body scriptable), or do that work outside the audio path, e.g. in __init__"
            ),
        )
    match = _UNANNOTATED.search(text) or _FOUND_TYPE.search(text)
    if match and ("not annotated" in text or "(inferred)" in text):
        arg = match.group("arg")
        found = _FOUND_TYPE.search(text)
        got = f" but receives {found.group('found')}" if found else ""
        example = f"`{arg}: {found.group('found')}`" if found else f"`{arg}: float`"
        return (
            "annotation",
            f"argument `{arg}` has no type annotation, so TorchScript assumed a Tensor{got}",
            (
                f"annotate every argument that is not a Tensor, e.g. {example}, `{arg}: int` or "
                f"`{arg}: List[int]` (from typing), and the return type"
            ),
        )
    match = _BAD_DEFAULT.search(text)
    if match:
        arg, kind = match.group("arg"), match.group("type").strip()
        return (
            "annotation",
            f"argument `{arg}` is annotated `{kind}` but its default value is not a {kind}",
            (
                f"annotate it `{arg}: Optional[{kind}] = None` (from typing) and check for None "
                "before use"
            ),
        )
    if (
        isinstance(error, torch.jit.frontend.NotSupportedError)
        or "is currently not supported" in text
    ):
        construct = text.strip().splitlines()[0].rstrip(":")
        return (
            "unsupported",
            f"a Python construct TorchScript does not support ({construct})",
            (
                "rewrite it with what TorchScript compiles: plain loops instead of generators and "
                "comprehensions with conditions, methods instead of lambdas and nested functions, "
                "no "
                "try/except, no *args/**kwargs, torch functions instead of numpy or math on tensors"
            ),
        )
    if "Arguments for call are not valid" in text and "Empty lists default to List[Tensor]" in text:
        return (
            "unsupported",
            (
                "a Python builtin called on a value TorchScript typed differently (often `sum`, "
                "`max` or `min` over a generator or list of tensors)"
            ),
            (
                "use the torch equivalent (torch.stack(...).sum(0)) or an explicit loop; annotate "
                "empty lists, e.g. `values: List[float] = []`"
            ),
        )
    match = _NO_ATTRIBUTE_OR_METHOD.search(text)
    if match:
        owner, attr = match.group("owner").split(" ")[0].split(".")[-1], match.group("attr")
        why = ""
        if "class attribute" in text:
            why = " (a class attribute: TorchScript reads instance attributes only)"
        return (
            "not-visible",
            f"TorchScript cannot see `{attr}` on `{owner}`{why}",
            (
                f"set `self.{attr} = ...` in `{owner}.__init__`, or copy the value onto your "
                "module in "
                "__init__ and read it from there"
            ),
        )
    match = _MISSING_ATTRIBUTE.search(text)
    if match:
        owner, attr = match.group("owner"), match.group("attr")
        convert = _CONVERT.search(text)
        if convert:
            return (
                "attribute-type",
                f"`{owner}.{attr}` holds a {convert.group('type')} that TorchScript cannot store",
                (
                    "keep only tensors, numbers, strings and lists/dicts of them in attributes "
                    "read "
                    f"in the audio path; annotate `{attr}` in the class body (e.g. "
                    f"`{attr}: Dict[str, float]`), or make it an nn.Module / nn.ModuleList"
                ),
            )
        module = _attribute_owner(model, owner, attr)
        if module is not None and callable(getattr(module, attr, None)):
            traced = isinstance(module, torch.jit.ScriptModule)
            how = "a traced or already scripted module" if traced else "the inner model"
            return (
                "not-exported",
                (
                    f"`{attr}` is a method of {how} `{owner}` that TorchScript cannot see: only "
                    "`forward` and methods marked @torch.jit.export survive tracing and scripting"
                ),
                (
                    f"decorate `{attr}` with @torch.jit.export in `{owner}` before tracing or "
                    "scripting it, call the inner model's forward instead, or give the adapter the "
                    "Python module"
                ),
            )
        known = [] if module is None else [n for n in dir(module) if not n.startswith("__")]
        close = difflib.get_close_matches(attr, known, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        return (
            "missing-attribute",
            f"`{owner}` has no attribute `{attr}` when scripted{hint}",
            (
                "define it in __init__ (TorchScript sees attributes that exist when scripting "
                "starts) "
                "or fix the name"
            ),
        )
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(error).__name__)
    return (
        "other",
        first,
        "script the failing class alone with torch.jit.script to see TorchScript's full message",
    )


def _module_path(model: nn.Module, method: str | None) -> str | None:
    """Where the class that defines `method` ("Class.method") sits in `model`, as Python spells it.

    ``model.layers.3.conv`` becomes ``self.model.layers[3].conv``; the wrapper itself is ``self``.
    """
    if method is None or "." not in method:
        return None
    owner = method.split(".", 1)[0]
    for name, module in model.named_modules():
        if any(cls.__name__ == owner for cls in type(module).__mro__):
            parts = ["self"]
            for part in name.split(".") if name else []:
                parts.append(f"[{part}]" if part.isdigit() else f".{part}")
            return "".join(parts)
    return None


def _tracing_advice(path: str | None) -> Tuple[bool, str]:
    """Whether the trace fallback applies to a failure in the module at `path`, in a sentence."""
    inner = path is not None and (
        path == "self.model" or path.startswith(("self.model.", "self.model["))
    )
    if inner:
        return True, (
            "the failing code is inside self.model, which the adapter calls with one shape per "
            "native setting, so it can be traced instead: save_neutone_model(..., trace=True) or "
            "--trace"
        )
    return False, (
        "the failing code is not inside self.model, so tracing cannot replace it: it must "
        "compile"
    )


def _unannotated_argument(model: nn.Module, method: str | None) -> str | None:
    """The first argument of the user's `method` ("Class.method") without a type annotation."""
    for cls in _user_classes(model):
        for qualified, function in _functions_of(cls):
            if qualified != method:
                continue
            for index, parameter in enumerate(inspect.signature(function).parameters.values()):
                plain = parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
                if index > 0 and plain and parameter.annotation is inspect.Parameter.empty:
                    return parameter.name
            return None
    return None


def explain_scripting_error(model: nn.Module, error: BaseException) -> ScriptingError:
    """Turn a TorchScript failure while scripting `model`'s adapter into a `ScriptingError`.

    Its message is one line, as the CLI prints it: where, why, the fix, whether tracing helps.
    TorchScript's own text stays on the error (`torchscript_message`, and the chained cause).
    """
    text = str(error)
    cause, sentence, fix = _diagnose(model, error, text)
    site = _site(model, text)
    if site is None:
        where = f"TorchScript cannot compile {type(model).__name__}"
        method = filename = lineno = None
    else:
        method, filename, lineno = site.function, site.filename, site.lineno
        short = filename.rsplit("/", 1)[-1]
        place = method or "code"
        where = f"TorchScript cannot compile {place} ({short}, line {lineno})"
        if site.code:
            where += f" at `{site.code.strip()}`"
    unannotated = _unannotated_argument(model, method) if cause == "other" else None
    if unannotated is not None:  # TorchScript typed it a Tensor and failed further on
        said = sentence.rstrip(":. ")
        cause = "annotation"
        sentence = (
            f"argument `{unannotated}` has no type annotation, so TorchScript assumed a Tensor "
            f"(and then: {said})"
        )
        fix = (
            f"annotate every argument that is not a Tensor, e.g. `{unannotated}: Dict[str, "
            f"Tensor]`, `{unannotated}: float` or `{unannotated}: List[int]` (from typing), and "
            "the return type"
        )
    path = _module_path(model, method)
    traceable, advice = _tracing_advice(path)
    located = f" In: {path} ({type(_submodule(model, path)).__name__})." if path else ""
    message = (
        f"{where}: {sentence.rstrip(':. ')}.{located} Fix: {fix.rstrip('.')}. Tracing: {advice}."
    )
    result = ScriptingError(message, method, filename, lineno, cause, fix, text)
    result.module_path = path
    result.traceable = traceable
    return result


def _submodule(model: nn.Module, path: str | None) -> nn.Module:
    """The module at a path made by `_module_path`."""
    if not path or path == "self":
        return model
    dotted = path.removeprefix("self.").replace("[", ".").replace("]", "")
    return model.get_submodule(dotted)


def _explain_script_submodule(model: nn.Module, error: AttributeError) -> ScriptingError:
    """A method missing on a traced or scripted submodule, met in the adapter's test block."""
    site: _Site | None = None
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if not any(part in frame.filename for part in _LIBRARY_DIRS):
            function = _find_function(model, frame.filename, frame.lineno or 0)
            site = _Site(frame.filename, frame.lineno or 0, frame.line or "", function)
            break
    attr = str(error).rsplit("'", 2)[-2] if str(error).count("'") >= 4 else "the method"
    fix = (
        f"decorate `{attr}` with @torch.jit.export in the inner model's class before tracing or "
        "scripting it, call the inner model's forward instead, or give the adapter the Python "
        "module"
    )
    sentence = (
        f"`{attr}` is not part of a traced or already scripted inner model: only `forward` and "
        "methods marked @torch.jit.export survive tracing and scripting"
    )
    if site is None:
        where = f"{type(model).__name__} calls a method its inner model lost"
        return ScriptingError(
            f"{where}: {sentence}. Fix: {fix}.", None, None, None, "not-exported", fix, ""
        )
    short = site.filename.rsplit("/", 1)[-1]
    where = (
        f"{site.function or 'code'} ({short}, line {site.lineno}) calls a method TorchScript lost"
    )
    where += f" at `{site.code.strip()}`"
    message = f"{where}: {sentence}. Fix: {fix}."
    return ScriptingError(
        message, site.function, site.filename, site.lineno, "not-exported", fix, str(error)
    )


def _check_methods(scripted: torch.jit.ScriptModule, step: str) -> None:
    missing = [name for name in REQUIRED_METHODS if not scripted._c._has_method(name)]
    if missing:
        raise ScriptingError(
            f"{step} removed the contract methods {missing}; save without {step}.",
            None,
            None,
            None,
            "other",
            f"save without {step}",
            "",
        )


def _list_getters() -> List[Tuple[str, Any]]:
    """(name, return type) of every `WaveformToWaveformBase` getter that must return a list."""
    getters = []
    for name in dir(WaveformToWaveformBase):
        if name.startswith("get_"):
            hint = typing.get_type_hints(getattr(WaveformToWaveformBase, name)).get("return")
            if typing.get_origin(hint) is list:
                getters.append((name, hint))
    return getters


def _check_list_getters(model: WaveformToWaveformBase) -> None:
    """Each list getter returns a list: else building the metadata fails with a bare TypeError."""
    for name, hint in _list_getters():
        value = getattr(model, name)()
        if not isinstance(value, (list, tuple)):
            shown = str(hint).replace("typing.", "").replace("neutone_core.parameters.", "")
            raise ModelDefinitionError(
                f"{type(model).__name__}.{name}() must return a {shown}, got "
                f"{type(value).__name__} {value!r}; return a list, e.g. [{value!r}]"
            )


def _raised_in(error: BaseException, function: str) -> bool:
    """Whether `error` was raised inside a function called `function` (e.g. do_forward_pass)."""
    return any(frame.name == function for frame in traceback.extract_tb(error.__traceback__))


def _undeclared_knob(model: WaveformToWaveformBase, error: KeyError) -> ModelDefinitionError:
    """do_forward_pass read `params[name]` for a name no parameter declares."""
    declared = [parameter.name for parameter in model.get_neutone_parameters()]
    return ModelDefinitionError(
        f"{type(model).__name__}.do_forward_pass reads the knob {error.args[0]!r}, which no "
        f"parameter declares (declared knobs: {declared}); fix the name, or declare it in "
        "get_neutone_parameters"
    )


def script_neutone_model(
    model: WaveformToWaveformBase,
    freeze: bool = False,
    optimize: bool = False,
    trace: bool = False,
) -> torch.jit.ScriptModule:
    """Build the `RealtimeAdapter` around `model` and script it.

    Args:
        model: the researcher's model.
        freeze: apply `torch.jit.freeze`, keeping the contract methods (`get_preserved_attributes`).
        optimize: apply `torch.jit.optimize_for_inference` (implies freezing).
        trace: first replace ``model.model`` by its trace at the adapter's block shape, proven
            equal to the Python model (`neutone_export.files.tracing`): for inner models TorchScript
            cannot compile. The proof's `TraceReport` is kept as ``scripted.trace_report``.

    Raises:
        ScriptingError: TorchScript cannot compile the model; the message says where, how to fix
            it, and whether tracing applies.
        TracingError: `trace` was asked and the trace fails or differs from the Python model.
        ModelDefinitionError: a list getter returns something else, or do_forward_pass reads a
            knob no parameter declares.
        ValueError: the model's getters, knobs or output shape break a rule (from neutone-core).
    """
    if not isinstance(model, WaveformToWaveformBase):
        raise ValueError(f"model: must be a WaveformToWaveformBase, got {type(model).__name__}")
    unwrap_no_grad_methods(model)  # TorchScript on torch 2.x cannot compile @torch.no_grad()
    _check_list_getters(model)
    trace_report = trace_inner_model(model) if trace else None
    try:
        adapter = RealtimeAdapter(model).eval()
    except AttributeError as error:
        if "ScriptModule" not in str(error):
            raise
        raise _explain_script_submodule(model, error) from error
    except KeyError as error:
        if not _raised_in(error, "do_forward_pass"):
            raise
        raise _undeclared_knob(model, error) from error
    try:
        scripted: torch.jit.ScriptModule = torch.jit.script(adapter)
        torch.jit.save(scripted, io.BytesIO())  # Python calls left in the graph fail only here
    except Exception as error:  # TorchScript raises RuntimeError and frontend errors alike
        raise explain_scripting_error(model, error) from error
    if freeze or optimize:
        scripted.stop_caching_views()  # freezing refuses views kept in a dictionary
        # `realtime` is an attribute, not a method: freeze folds it away unless it is named
        scripted = freeze_for_plugin(scripted, freeze=freeze, optimize=optimize, keep=["realtime"])
        _check_methods(scripted, "optimize" if optimize else "freeze")
    if trace_report is not None:
        scripted.trace_report = trace_report
    return scripted
