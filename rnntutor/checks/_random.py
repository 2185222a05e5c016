"""Random numbers for the self-checks: large enough that every mistake changes the result."""

import torch
from torch import nn


@torch.no_grad()
def randomize_(module: nn.Module, generator: torch.Generator) -> nn.Module:
    """Fill every parameter of ``module`` with U(-1, 1) numbers drawn from ``generator``, in place."""
    for p in module.parameters():
        p.copy_(torch.empty_like(p).uniform_(-1, 1, generator=generator))
    return module
