"""Run an rnntutor module and its torch.nn twin on the same data; compare values and every gradient."""

from __future__ import annotations

import torch

#: The largest absolute difference allowed between rnntutor and torch.
TOLERANCE = {torch.float64: 1e-10, torch.float32: 1e-5}


def flatten(value) -> list[torch.Tensor]:
    """The tensors of a (nested) tuple, in order."""
    if isinstance(value, torch.Tensor):
        return [value]
    return [t for item in value for t in flatten(item)]


def forward_backward(module, x: torch.Tensor, hx, weights: list[torch.Tensor] | None = None, seed=None):
    """Run ``module(x, hx)``, backpropagate a weighted sum of all its outputs, and return a dict of named
    tensors: the outputs, the gradients of ``x``, of ``hx`` and of every parameter, and the weights used.
    ``seed`` seeds torch just before the call (for dropout)."""
    x = x.detach().clone().requires_grad_(True)
    states = [s.detach().clone().requires_grad_(True) for s in flatten(hx)] if hx is not None else []
    if seed is not None:
        torch.manual_seed(seed)
    if hx is None:
        result = module(x)
    else:
        result = module(x, tuple(states) if isinstance(hx, tuple) else states[0])
    outputs = flatten(result)
    if weights is None:  # random weights, so that every output element gets its own gradient
        generator = torch.Generator().manual_seed(1)
        weights = [torch.randn(o.shape, generator=generator, dtype=o.dtype).to(o.device) for o in outputs]
    sum((o * w).sum() for o, w in zip(outputs, weights, strict=True)).backward()
    named = {f"output[{k}]": o for k, o in enumerate(outputs)}
    named["grad input"] = x.grad
    named.update({f"grad hx[{k}]": s.grad for k, s in enumerate(states)})
    named.update({f"grad {name}": p.grad for name, p in module.named_parameters()})
    return named, weights


def assert_matches_torch(ours, reference, x: torch.Tensor, hx=None, seed=None) -> int:
    """Assert that ``ours`` equals ``reference`` (whose state dict it must already hold) on ``x`` and
    ``hx``: outputs, final states and the gradients of input, initial state and every parameter.
    With ``seed``, both run right after ``torch.manual_seed(seed)``. Returns how many tensors were compared."""
    expected, weights = forward_backward(reference, x, hx, seed=seed)
    got, _ = forward_backward(ours, x, hx, weights, seed=seed)
    assert got.keys() == expected.keys()
    tolerance = TOLERANCE[x.dtype]
    for name, value in expected.items():
        assert got[name] is not None and value is not None, f"{name}: no gradient"
        assert got[name].shape == value.shape, f"{name}: shape {got[name].shape} != {value.shape}"
        assert got[name].dtype == value.dtype and got[name].device == value.device, name
        difference = (got[name] - value).abs().max().item()
        assert difference < tolerance, f"{name}: differs by {difference:.3g} (tolerance {tolerance:g})"
    return len(expected)
