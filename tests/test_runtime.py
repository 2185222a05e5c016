import random

import numpy as np
import pytest
import torch

import rnntutor
from rnntutor.validate import check_positive_ints


def draws():
    return random.random(), np.random.rand(), torch.rand(1).item()


def test_setup_makes_every_generator_repeat_and_uses_one_thread():
    rnntutor.setup(seed=3)
    first = draws()
    rnntutor.setup(seed=3)
    assert draws() == first
    assert torch.get_num_threads() == 1
    rnntutor.setup(seed=4)
    assert draws() != first


def test_setup_picks_cuda_exactly_when_present():
    device = rnntutor.setup()
    assert device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert rnntutor.setup(device="cpu").type == "cpu"


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_bad_seed_is_refused(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        rnntutor.seed_everything(seed)


def test_bad_device_is_refused():
    with pytest.raises(ValueError, match="'cpu' or 'cuda', got 'tpu'"):
        rnntutor.pick_device("tpu")


@pytest.mark.parametrize("value", [0, -3, 2.0, True, "4", None])
def test_check_positive_ints_names_the_argument_and_what_came(value):
    with pytest.raises(ValueError, match=rf"^GRU: hidden_size must be a positive int, got {value!r}$"):
        check_positive_ints("GRU", hidden_size=value)
    check_positive_ints(hidden_size=1, num_layers=3)  # every int of at least 1 passes
