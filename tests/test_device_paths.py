"""Every training and evaluation path of the package honours the device it is given, checked without a GPU.

CI has no GPU, and on a CPU every tensor is on the one device, so a model or batch that ignores ``device``
goes unnoticed until a reader runs the chapter on Colab. These tests give each path the ``meta`` device:
meta tensors have shapes but no values, so a path that moves everything to ``device`` runs until it first
reads a value (``Tensor.item() cannot be called on meta tensors``), while a path that leaves a model or a
tensor on the CPU stops earlier, with a device mismatch. The test asserts the first, and fails on the second.
"""

from __future__ import annotations

import pytest
import torch

from rnntutor.ensemble import Ensemble
from rnntutor.models import SequenceModel
from rnntutor.train import evaluate, fit

META = torch.device("meta")
FIRST_READ = "meta tensors|meta tensor|Cannot copy out of meta"


def reaches_first_read(run) -> None:
    """Run ``run()``; it must stop at its first read of a value, not at a device mismatch."""
    with pytest.raises(Exception) as caught:  # noqa: B017 (which error it is, is the test)
        run()
    message = f"{type(caught.value).__name__}: {caught.value}"
    assert any(part in message for part in FIRST_READ.split("|")), f"a device mismatch, or another error: {message}"


def data(n=16, length=5):
    g = torch.Generator().manual_seed(0)
    return torch.randn(n, length, 4, generator=g), torch.randint(0, 4, (n,), generator=g)


def model():
    return SequenceModel("lstm", 4, 8, 4)


def test_the_check_catches_a_model_left_on_the_cpu():
    x, _ = data()
    with pytest.raises(AssertionError, match="device mismatch"):
        reaches_first_read(lambda: model()(x.to(META)).sum().item())


def test_fit_moves_the_model_and_every_batch():
    reaches_first_read(lambda: fit(model(), torch.nn.functional.cross_entropy, data(), epochs=1, lr=0.1,
                                   device=META))


def test_fit_on_a_list_of_batches_moves_each_batch():
    batches = [data(8), data(8)]
    reaches_first_read(lambda: fit(model(), torch.nn.functional.cross_entropy, batches, epochs=1, lr=0.1,
                                   device=META))


def test_evaluate_moves_the_data_to_the_model():
    net = model().to(META)
    reaches_first_read(lambda: evaluate(net, torch.nn.functional.cross_entropy, data()))


@pytest.mark.parametrize("clip_norm", [None, 1.0])
def test_an_ensemble_trains_on_its_device(clip_norm):
    ensemble = Ensemble(model, [0, 1], device=META)
    reaches_first_read(lambda: ensemble.fit(torch.nn.functional.cross_entropy, data(), epochs=1, lr=0.1,
                                            batch_size=8, clip_norm=clip_norm))


def test_an_ensemble_evaluates_and_copies_on_its_device():
    ensemble = Ensemble(model, [0, 1], device=META)
    reaches_first_read(lambda: ensemble.evaluate(torch.nn.functional.cross_entropy, data()).tolist())
    assert ensemble[1].head.weight.device == META
    assert ensemble(data()[0].to(META)).device == META
