"""A second device on a machine without a GPU: the CPU under another name, with CUDA's rules about mixing.

On a CPU machine every tensor is on the one device, so a model or a batch that ignores ``device`` runs
anyway, and the mistake shows only when a reader runs the chapter on a GPU. Within :func:`standin_device`
(or after :func:`install`, for the rest of a process) ``rnntutor.setup()`` returns ``cpu:0``, a device
that torch computes on exactly as on ``cpu`` (the same kernels, the same numbers), and every tensor
carries a mark: on the stand-in device or not. A torch function mode sees every operation and applies
CUDA's rules to the marks:

- an operation that mixes a tensor on the stand-in device with a CPU tensor of one element or more fails,
  as CUDA fails (``Expected all tensors to be on the same device``); a tensor of no dimensions from the
  CPU is allowed, as CUDA allows it;
- ``.numpy()`` and ``numpy.asarray`` (and so matplotlib) refuse a tensor on the stand-in device;
- a CPU ``torch.Generator`` cannot draw numbers on the stand-in device.

It also counts, in :data:`WAITS`, every operation after which Python waits on a GPU until the GPU has
caught up with it: a read of a number from the stand-in device into Python (``.item()``, ``.tolist()``,
``float()``, ``if tensor:``, printing, ``.cpu()``), and a copy from the CPU to it (``.to(device)`` without
``non_blocking=True``, ``torch.tensor(..., device=device)``, assigning a CPU tensor into a tensor on the
device), which torch ends by waiting for the GPU. A loop that waits at every step cannot run ahead of it.

``.to(device)``, ``device=`` and ``.cpu()`` move the mark; results carry the mark of their inputs (torch's
clipping and optimizers, which group tensors by device, see the stand-in device in their groups). A
tensor that the mode never saw made (a result of ``vmap`` or of ``torch.load``) has no mark and is checked
against nothing. Everything else runs as it does without the mode, so every output stays the same.
``make device-check`` (``tools/run_notebooks.py --device standin``) runs every chapter this way, and
tests/test_device_paths.py the package's training and evaluation paths.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import sys

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_leaves

STANDIN = torch.device("cpu", 0)
MARK = "_on_standin_device"  # True on the stand-in device, False on the CPU, absent when unknown

# What CUDA takes from the CPU beside tensors on the GPU: indices (and the lengths and batch sizes of packed
# sequences, which torch keeps on the CPU) are integer tensors; copy_ copies from any device to any other.
_CPU_INDICES = {"__getitem__", "__setitem__", "index_put_", "_pack_padded_sequence", "_pad_packed_sequence",
                "lstm", "gru", "rnn_tanh", "rnn_relu"}
_ANY_DEVICE = {"copy_", "_has_compatible_shallow_copy_type", "is_set_to"}
# Their second result stays on the CPU: the batch sizes and lengths of a packed sequence.
_FIRST_ONLY = {"_pack_padded_sequence", "_pad_packed_sequence"}


# Operations that bring a tensor's numbers from the GPU to Python, so that Python waits for the GPU.
_READ_NAMES = {"item", "tolist", "__float__", "__int__", "__bool__", "__index__", "__format__", "__repr__",
               "__str__", "cpu", "nonzero", "unique", "masked_select", "equal", "allclose"}
# Operations that copy to the GPU from the CPU, after which torch waits for the GPU.
_FROM_PYTHON = {"tensor", "as_tensor"}
_ASSIGN = {"__setitem__", "copy_", "index_put_"}
WAITS: collections.Counter[str] = collections.Counter()  # waits for the stand-in device, by operation


class DeviceMismatch(RuntimeError):
    """A tensor on the stand-in device met one on the CPU, as it would fail on a GPU."""


def on_standin(tensor: torch.Tensor) -> bool | None:
    """True on the stand-in device, False on the CPU, None when the mode never saw the tensor made."""
    return tensor.__dict__.get(MARK) if hasattr(tensor, "__dict__") else None


def _mark(tensor, value: bool | None) -> None:
    if isinstance(tensor, torch.Tensor):
        if value is None:
            tensor.__dict__.pop(MARK, None)
        else:
            setattr(tensor, MARK, value)


def _tensors(args, kwargs):
    for value in (*args, *kwargs.values()):
        if isinstance(value, torch.Tensor):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from (item for item in value if isinstance(item, torch.Tensor))


def _target(value) -> bool | None:
    """The mark for a ``device`` argument: True for the stand-in device, False for the CPU, None for others
    (``meta``)."""
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        return on_standin(value)
    try:
        device = torch.device(value)
    except (RuntimeError, TypeError):
        return None
    return True if device == STANDIN else False if device.type == "cpu" else None


def _name(func) -> str:
    return getattr(func, "__name__", "") or str(func)


class StandinDevice(TorchFunctionMode):
    """Follow every tensor's device mark and fail where CUDA would; see the module's docstring."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = _name(func)
        if name == "__get__" and args:
            return self._get(func, args)
        if name == "__set__" and getattr(getattr(func, "__self__", None), "__name__", "") == "data":
            func(*args, **kwargs)
            _mark(args[0], on_standin(args[1]))  # param.data = moved: the parameter is where its data went
            return None
        if name in ("numpy", "__array__") and args and on_standin(args[0]):
            raise TypeError("can't convert a tensor on the stand-in device to numpy (it would be on the GPU): "
                            "use .cpu() first, e.g. tensor.detach().cpu().numpy()")
        if name in _READ_NAMES and args and isinstance(args[0], torch.Tensor) and on_standin(args[0]):
            WAITS[name] += 1
        if name in _FROM_PYTHON and _target(kwargs.get("device")):
            WAITS[name] += 1
        if name in _ASSIGN and args and on_standin(args[0]) and any(
                on_standin(t) is False and t.dim() > 0 and (t.is_floating_point() or t.is_complex())
                for t in _tensors(args[1:], kwargs)):
            WAITS[name] += 1
        if name in ("to", "cpu") and args and isinstance(args[0], torch.Tensor):
            return self._move(func, name, args, kwargs)

        inputs = list(_tensors(args, kwargs))
        marks = [on_standin(t) for t in inputs]
        device = kwargs.get("device")
        if device is not None:
            out = _target(device)  # made where device= says
        elif inputs:
            out = True if True in marks else False if False in marks else None  # where the inputs are
        else:
            out = False  # a factory without device= makes its tensor on the CPU
        if name in ("__getitem__", "__setitem__", "index_put_", "copy_"):
            out = marks[0]  # where the indexed or copied-to tensor is
        elif device is None and True in marks and name not in _ANY_DEVICE:
            indices_allowed = name in _CPU_INDICES
            cpu = [t for t, m in zip(inputs, marks, strict=True) if m is False and t.dim() > 0
                   and not (indices_allowed and not t.is_floating_point() and not t.is_complex())]
            if cpu:
                raise DeviceMismatch(
                    f"{name}: expected all tensors on one device, but found one on the stand-in device (a GPU) "
                    f"and one of shape {tuple(cpu[0].shape)} on the CPU: move it with .to(device)")
        generator = kwargs.get("generator")
        if out and isinstance(generator, torch.Generator) and generator.device.type == "cpu":
            raise DeviceMismatch(f"{name}: a CPU torch.Generator cannot draw numbers on the stand-in device "
                                 "(a GPU): draw on the CPU and move the result with .to(device)")
        result = func(*args, **kwargs)
        if isinstance(result, (list, tuple)):
            for i, item in enumerate(result):
                _mark(item, out if i == 0 or name not in _FIRST_ONLY else False)
        else:
            _mark(result, out)
        return result

    @staticmethod
    def _get(func, args):
        owner = args[0]
        result = func(*args)
        if isinstance(result, torch.device) and result.type == "cpu" and on_standin(owner):
            return STANDIN
        if isinstance(result, torch.Tensor):
            _mark(result, on_standin(owner))  # .grad, .data, .T, ... are where their tensor is
        return result

    @staticmethod
    def _move(func, name, args, kwargs):
        tensor = args[0]
        if name == "cpu":
            target = False
        else:
            device = kwargs.get("device")
            for value in args[1:]:
                if isinstance(value, (torch.device, str, torch.Tensor)):
                    device = value
            target = _target(device) if device is not None else on_standin(tensor)
            if target is False and on_standin(tensor):
                WAITS["to"] += 1
            elif target and on_standin(tensor) is False and not kwargs.get("non_blocking"):
                WAITS["to device"] += 1
        result = func(*args, **kwargs)
        if result is tensor and target != on_standin(tensor):
            result = tensor.view_as(tensor)  # a move makes a new tensor and leaves the old one where it was
        _mark(result, target)
        return result


def _new_parameter(cls, data=None, requires_grad=True):
    parameter = _PARAMETER_NEW(cls, data, requires_grad)
    if data is not None:
        _mark(parameter, on_standin(data))
    return parameter


def _marked_vmap(func, *args, **kwargs):
    """``torch.func.vmap`` whose function sees its arguments' marks, and whose results carry its results'."""
    def marked_inside(*inner_args, **inner_kwargs):
        for outer, inner in zip(leaves, tree_leaves((inner_args, inner_kwargs)), strict=True):
            if isinstance(outer, torch.Tensor):
                _mark(inner, on_standin(outer))
        result = func(*inner_args, **inner_kwargs)
        marks[:] = [on_standin(t) if isinstance(t, torch.Tensor) else None for t in tree_leaves(result)]
        return result

    batched = _VMAP(marked_inside, *args, **kwargs)
    leaves, marks = [], []

    @functools.wraps(func)
    def run(*outer_args, **outer_kwargs):
        leaves[:] = tree_leaves((outer_args, outer_kwargs))
        result = batched(*outer_args, **outer_kwargs)
        for tensor, mark in zip(tree_leaves(result), marks, strict=True):
            _mark(tensor, mark)
        return result

    return run


def _marked_groups(tensorlistlist, with_indices=False):
    """torch's grouping of tensors by device (for its foreach kernels: clipping, optimizers) that names the
    stand-in device for a group on it, so that torch moves a result to it and not to the CPU."""
    groups = _GROUP(tensorlistlist, with_indices)
    return {(STANDIN if any(on_standin(t) for t in lists[0] if t is not None) else device, dtype): (lists, indices)
            for (device, dtype), (lists, indices) in groups.items()}


_PARAMETER_NEW = nn.Parameter.__new__
_VMAP = torch.func.vmap
_GROUP = torch.utils._foreach_utils._group_tensors_by_device_and_dtype


@contextlib.contextmanager
def standin_device():
    """Within: ``rnntutor.setup()`` returns the stand-in device, and every operation follows the marks."""
    import rnntutor.runtime as runtime

    pick_device = runtime.pick_device

    def standin(prefer=None):
        return pick_device(prefer) if prefer == "cpu" else STANDIN

    # vmap and torch's grouping by device as names in every module that imported them, nn.Parameter so that a
    # parameter is where its data is
    modules = list(sys.modules.items())
    holders = [module for name, module in modules
               if name.startswith(("torch.func", "rnntutor")) and getattr(module, "vmap", None) is _VMAP]
    grouping = [module for name, module in modules if name.startswith("torch.")
                and getattr(module, "_group_tensors_by_device_and_dtype", None) is _GROUP]
    patches = [(module, "vmap", _marked_vmap) for module in [*holders, torch]] + [
        (module, "_group_tensors_by_device_and_dtype", _marked_groups) for module in grouping] + [
        (runtime, "pick_device", standin), (nn.Parameter, "__new__", staticmethod(_new_parameter))]
    saved = [(owner, name, vars(owner)[name]) for owner, name, _ in patches]
    for owner, name, value in patches:
        setattr(owner, name, value)
    try:
        with StandinDevice():
            yield STANDIN
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)


def install() -> None:
    """Switch the stand-in device on for the rest of this process (a kernel's startup file calls it)."""
    _INSTALLED.enter_context(standin_device())


_INSTALLED = contextlib.ExitStack()  # never closed: the device stays on until the process ends
