r"""Backpropagation through time, measured (chapters "Parameter sharing" and "Training through time").

Unrolled over :math:`T` steps, a recurrent network is a deep network whose layers all hold the same
parameters. Two facts follow, and this module measures both:

- the gradient of a shared parameter is the sum of one contribution per step,
  :math:`\partial L / \partial W = \sum_t \partial L / \partial W^{(t)}` (:func:`per_step_gradients`,
  :func:`parameter_uses`);
- the gradient that reaches the state :math:`k` steps back is a product of :math:`k` Jacobians,
  :math:`\partial L / \partial h_{T-k} = (\partial h_{T-k+1} / \partial h_{T-k})^\top \cdots
  (\partial h_T / \partial h_{T-1})^\top \, \partial L / \partial h_T`, so its norm shrinks or grows
  geometrically with :math:`k` (:func:`state_gradient_norms`). In a linear network the rate over many steps is
  the spectral radius of the recurrent weight (:func:`spectral_radius`); with the :math:`\tanh` its spectral
  norm bounds it, so a norm below 1 makes the gradient vanish; a radius below 1 is not enough
  (:func:`recurrent_weight` draws matrices whose radius and norm are equal).

A *step* below is a recurrent cell (:class:`~rnntutor.cells.RNNCell`, :class:`~rnntutor.cells.GRUCell`,
:class:`~rnntutor.cells.LSTMCell`, or torch's), or any function ``step(x_t, state) -> state``. The state is
``h``, or a tuple whose first element is ``h`` (the LSTM's ``(h, c)``). Inputs are batch-first,
``(batch, length, features)``, like :mod:`rnntutor.tasks`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .validate import check_positive_ints

__all__ = [
    "parameter_uses",
    "per_step_gradients",
    "recurrent_weight",
    "spectral_radius",
    "state_gradient_norms",
    "unroll",
]


def _check_sequence(name: str, x) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: x must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 3 or x.shape[1] == 0:
        raise ValueError(
            f"{name}: expected x of shape (batch, length, features) with length >= 1, got shape {tuple(x.shape)}"
        )


def _hidden(state) -> torch.Tensor:
    """``h`` from a state ``h`` or ``(h, c)``."""
    return state[0] if isinstance(state, tuple | list) else state


def _with_hidden(state, h: torch.Tensor):
    """The state with ``h`` replaced: ``h``, or ``(h, c, ...)``."""
    return (h, *state[1:]) if isinstance(state, tuple | list) else h


def spectral_radius(W: torch.Tensor) -> float:
    r"""The spectral radius :math:`\rho(W) = \max_i |\lambda_i(W)|` of a square matrix."""
    if not isinstance(W, torch.Tensor) or W.dim() != 2 or W.shape[0] != W.shape[1]:
        got = tuple(W.shape) if isinstance(W, torch.Tensor) else type(W).__name__
        raise ValueError(f"spectral_radius: expected a square matrix, got {got}")
    return float(torch.linalg.eigvals(W.detach().double()).abs().max())


def recurrent_weight(
    hidden_size: int, spectral_radius: float, generator: torch.Generator | None = None, dtype=torch.float32
) -> torch.Tensor:
    r"""A random recurrent weight :math:`W_{hh} = \rho Q` with :math:`Q` orthogonal (chapter "Training through
    time").

    All eigenvalues of :math:`W_{hh}` have modulus :math:`\rho` and all its singular values equal
    :math:`\rho`, so :math:`\|W_{hh}^k v\| = \rho^k \|v\|` for every vector :math:`v`: in a linear network the
    gradient norm is exactly :math:`\rho^k` after :math:`k` steps. :math:`Q` is drawn uniformly from the
    orthogonal matrices (QR of a Gaussian matrix, with the signs of :math:`R`'s diagonal moved into
    :math:`Q`), from ``generator`` when given.
    """
    check_positive_ints("recurrent_weight", hidden_size=hidden_size)
    if isinstance(spectral_radius, bool) or not isinstance(spectral_radius, int | float) or spectral_radius < 0:
        raise ValueError(f"recurrent_weight: spectral_radius must be a number >= 0, got {spectral_radius!r}")
    gaussian = torch.randn(hidden_size, hidden_size, generator=generator, dtype=torch.float64)
    Q, R = torch.linalg.qr(gaussian)
    Q = Q * torch.sign(torch.diagonal(R))
    return (spectral_radius * Q).to(dtype)


def unroll(step: Callable, x: torch.Tensor, state=None, parameters: list[dict] | None = None) -> torch.Tensor:
    r"""Run ``state = step(x_t, state)`` for :math:`t = 1, \dots, T` and return :math:`h_1, \dots, h_T`
    stacked, ``(batch, length, hidden)`` (chapter "Parameter sharing").

    ``state`` is the initial state (``None``: the step's own default, zeros for a cell). With
    ``parameters``, a list of one dict per step, step :math:`t` runs with the parameters
    ``parameters[t]`` in place of the module's own (``torch.func.functional_call``); names not in the dict
    keep the module's. This is how :func:`per_step_gradients` gives each step its own copy.
    """
    _check_sequence("unroll", x)
    length = x.shape[1]
    if parameters is not None:
        if not isinstance(step, nn.Module):
            raise TypeError(f"unroll: parameters= needs step to be a torch.nn.Module, got {type(step).__name__}")
        if len(parameters) != length:
            raise ValueError(f"unroll: expected one parameter dict per step ({length}), got {len(parameters)}")
    states = []
    for t in range(length):
        if parameters is None:
            state = step(x[:, t], state)
        else:
            state = torch.func.functional_call(step, parameters[t], (x[:, t], state))
        states.append(_hidden(state))
    return torch.stack(states, dim=1)


def per_step_gradients(
    cell: nn.Module, x: torch.Tensor, loss_fn: Callable[[torch.Tensor], torch.Tensor],
    name: str = "weight_hh", state=None,
) -> torch.Tensor:
    r"""The contribution of each step to the gradient of a shared parameter (chapter "Parameter sharing").

    The parameter ``name`` of ``cell`` is untied: step :math:`t` uses its own copy :math:`W^{(t)}`, equal in
    value to :math:`W`. The loss ``loss_fn(states)``, where ``states`` is :func:`unroll`'s output
    ``(batch, length, hidden)``, is then the same number, and

    .. math::

        \frac{\partial L}{\partial W} = \sum_{t=1}^{T} \frac{\partial L}{\partial W^{(t)}}.

    Returns the tensor of the :math:`T` contributions :math:`\partial L / \partial W^{(t)}`, shape
    ``(length, *W.shape)``; their sum over the first axis is the gradient of the shared parameter.
    """
    if not isinstance(cell, nn.Module):
        raise TypeError(f"per_step_gradients: cell must be a torch.nn.Module, got {type(cell).__name__}")
    params = dict(cell.named_parameters())
    if name not in params:
        raise ValueError(f"per_step_gradients: the cell has no parameter {name!r}; it has {sorted(params)}")
    _check_sequence("per_step_gradients", x)
    length = x.shape[1]
    copies = params[name].detach().expand(length, *params[name].shape).clone().requires_grad_()
    loss = loss_fn(unroll(cell, x, state, parameters=[{name: copies[t]} for t in range(length)]))
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise ValueError(f"per_step_gradients: loss_fn must return a scalar tensor, got {loss!r}")
    (contributions,) = torch.autograd.grad(loss, copies, allow_unused=True, materialize_grads=True)
    return contributions


def parameter_uses(output: torch.Tensor, module: nn.Module) -> dict[str, int]:
    """How many times each parameter of ``module`` enters the computation of ``output`` (chapter "Parameter
    sharing").

    Walks the autograd graph of ``output`` back to its leaves. Each parameter is one leaf, whatever the
    number of steps; the count is the number of operations that read it, for a cell unrolled over
    :math:`T` steps :math:`T` for each of its parameters. Parameters that ``output`` does not depend on
    count 0. Autograd adds the gradients that reach a leaf along these edges, which is why the gradient
    of a shared parameter is a sum over steps.
    """
    if not isinstance(output, torch.Tensor) or output.grad_fn is None:
        raise ValueError("parameter_uses: output must be a tensor computed from parameters that require grad "
                         "(it has no grad_fn); compute it outside torch.no_grad()")
    if not isinstance(module, nn.Module):
        raise TypeError(f"parameter_uses: module must be a torch.nn.Module, got {type(module).__name__}")
    uses: dict[int, int] = {}
    seen, stack = set(), [output.grad_fn]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for parent, _ in node.next_functions:
            if parent is None:
                continue
            leaf = getattr(parent, "variable", None)  # AccumulateGrad nodes hold their leaf tensor
            if leaf is not None:
                uses[id(leaf)] = uses.get(id(leaf), 0) + 1
            stack.append(parent)
    return {name: uses.get(id(p), 0) for name, p in module.named_parameters()}


def state_gradient_norms(step: Callable, x: torch.Tensor, state=None, direction: torch.Tensor | None = None):
    r"""Norm of the gradient with respect to the state :math:`k` steps back, for :math:`k = 0, \dots, T-1`
    (chapter "Training through time").

    Runs ``step`` along ``x`` (batch, length, features) from ``state``, takes the loss
    :math:`L = u^\top h_T` for each sequence, with :math:`u` a unit vector (``direction``, normalised;
    default all ones), so that :math:`\|\partial L / \partial h_T\| = 1`, and backpropagates through time.
    Entry :math:`k` of the result is the mean over the batch of :math:`\|\partial L / \partial h_{T-k}\|`.
    For the LSTM, :math:`h` is measured (the gradient that reaches it has passed through the cell states
    :math:`c` too).

    The gradient is read on a zero tensor added to each :math:`h_t` before the next step uses it, so it is
    exactly the gradient that backpropagation carries to :math:`h_t`, and a step without parameters (a
    plain function) can be measured too.
    """
    _check_sequence("state_gradient_norms", x)
    taps, h = [], None
    for t in range(x.shape[1]):
        state = step(x[:, t], state)
        h = _hidden(state)
        tap = torch.zeros_like(h, requires_grad=True)
        state = _with_hidden(state, h + tap)
        taps.append(tap)
    u = torch.ones(h.shape[-1], dtype=h.dtype, device=h.device) if direction is None else direction
    if not isinstance(u, torch.Tensor) or u.shape != h.shape[-1:] or not bool(u.abs().sum() > 0):
        raise ValueError(f"state_gradient_norms: direction must be a nonzero vector of shape ({h.shape[-1]},), "
                         f"got {tuple(u.shape) if isinstance(u, torch.Tensor) else type(u).__name__}")
    u = u.to(h) / u.norm()
    loss = (_hidden(state) @ u).sum()  # the sequences are independent: one backward pass serves them all
    grads = torch.autograd.grad(loss, taps, allow_unused=True, materialize_grads=True)
    return torch.stack([g.norm(dim=-1).mean() for g in reversed(grads)]).detach()
