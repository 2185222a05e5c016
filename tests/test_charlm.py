import math

import pytest
import torch
from torch import nn

from rnntutor.charlm import (
    CharRNN,
    Vocabulary,
    bits_per_char,
    chunks,
    load_checkpoint,
    next_char_probabilities,
    sample,
    save_checkpoint,
    train,
    train_copies,
)
from rnntutor.data import TINYSHAKESPEARE_HELD_OUT, load_tinyshakespeare

TEXT = "to be or not to be, that is the question.\n" * 8


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def test_vocabulary_encodes_and_decodes_any_script():
    vocab = Vocabulary.from_text("床前明月光，疑是地上霜。\nabc")
    ids = vocab.encode("明月光。a")
    assert ids.dtype == torch.long and len(ids) == 5
    assert vocab.decode(ids) == "明月光。a"
    assert vocab.chars == "".join(sorted(set("床前明月光，疑是地上霜。\nabc")))
    with pytest.raises(KeyError, match="'z' is not in the vocabulary"):
        vocab.encode("z")


def test_chunks_continue_each_stream_and_targets_are_the_next_characters():
    ids = torch.arange(41)
    parts = list(chunks(ids, batch_size=2, seq_len=5))
    assert len(parts) == 4  # 40 targets in 2 streams of 20, in chunks of 5
    (x0, y0), (x1, _) = parts[0], parts[1]
    assert x0.tolist() == [[0, 1, 2, 3, 4], [20, 21, 22, 23, 24]]
    assert y0.tolist() == [[1, 2, 3, 4, 5], [21, 22, 23, 24, 25]]
    assert x1[:, 0].tolist() == [5, 25]  # chunk 2 starts where chunk 1 ended, in every row
    with pytest.raises(ValueError, match="too short"):
        next(chunks(torch.arange(8), batch_size=2, seq_len=5))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("embedding_size", [None, 3])
def test_the_book_layers_equal_torch_fused_ones_with_copied_weights_through_a_training_run(cell, embedding_size):
    vocab = Vocabulary.from_text(TEXT)
    ids = vocab.encode(TEXT)
    torch.manual_seed(0)
    ours = CharRNN(len(vocab), 8, embedding_size=embedding_size, cell=cell)
    fused = CharRNN(len(vocab), 8, embedding_size=embedding_size, cell=cell, fused=True)
    fused.load_state_dict(ours.state_dict())
    assert isinstance(fused.rnn, nn.LSTM if cell == "lstm" else nn.GRU)
    x = ids[:30].view(2, 15)
    (a, _), (b, _) = ours(x), fused(x)
    assert (a - b).abs().max() < 1e-5
    losses_ours = train(ours, ids, steps=6, batch_size=2, seq_len=10)
    losses_fused = train(fused, ids, steps=6, batch_size=2, seq_len=10)
    assert max(abs(p - q) for p, q in zip(losses_ours, losses_fused, strict=True)) < 1e-4
    for name, value in ours.state_dict().items():
        assert (value - fused.state_dict()[name]).abs().max() < 1e-4, name


def test_one_hot_inputs_are_unit_vectors():
    model = CharRNN(5, 4)
    x = model.inputs(torch.tensor([[0, 3]]))
    assert x.tolist() == [[[1, 0, 0, 0, 0], [0, 0, 0, 1, 0]]]


def test_training_carries_the_state_and_lowers_the_loss():
    vocab = Vocabulary.from_text(TEXT)
    ids = vocab.encode(TEXT)
    torch.manual_seed(0)
    model = CharRNN(len(vocab), 32, embedding_size=8, fused=True)
    before = bits_per_char(model, ids, streams=2, seq_len=16)
    losses = train(model, ids, steps=40, batch_size=4, seq_len=16, lr=2e-2)
    assert losses[-1] < losses[0] / 2
    assert bits_per_char(model, ids, streams=2, seq_len=16) < before / 2


def test_a_model_that_predicts_nothing_scores_log2_of_the_vocabulary():
    model = CharRNN(7, 4)
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    ids = torch.randint(0, 7, (200,), generator=torch.Generator().manual_seed(0))
    assert bits_per_char(model, ids, streams=3, seq_len=10) == pytest.approx(math.log2(7), abs=1e-6)


def test_copies_trained_together_equal_copies_trained_alone():
    vocab = Vocabulary.from_text(TEXT)
    ids = vocab.encode(TEXT)

    def make():
        return CharRNN(len(vocab), 6, embedding_size=3)

    models, losses = train_copies(make, [0, 1], ids, steps=4, batch_size=2, seq_len=8)
    assert losses.shape == (4, 2)
    for k, seed in enumerate([0, 1]):
        from rnntutor.runtime import seed_everything

        seed_everything(seed)
        alone = make()
        alone_losses = train(alone, ids, steps=4, batch_size=2, seq_len=8)
        assert max(abs(a - b) for a, b in zip(alone_losses, losses[:, k].tolist(), strict=True)) < 1e-5
        for name, value in alone.state_dict().items():
            assert (value - models[k].state_dict()[name]).abs().max() < 1e-5, name


def test_a_temperature_near_zero_samples_the_greedy_choice():
    logits = torch.tensor([0.3, 2.0, 1.9, -1.0])
    assert next_char_probabilities(logits, 0).tolist() == [0, 1, 0, 0]
    p = next_char_probabilities(logits, 0.01)
    assert p[1] > 1 - 1e-4
    assert next_char_probabilities(logits, 1.0).sum() == pytest.approx(1.0)
    vocab = Vocabulary.from_text(TEXT)
    torch.manual_seed(0)
    model = CharRNN(len(vocab), 16)
    greedy = sample(model, vocab, "to be", 40, temperature=0)
    cold = sample(model, vocab, "to be", 40, temperature=1e-3, generator=torch.Generator().manual_seed(1))
    assert cold == greedy


def test_top_k_never_samples_outside_the_k_largest():
    logits = torch.tensor([0.1, 3.0, -2.0, 2.5, 0.0, 1.0])
    p = next_char_probabilities(logits, 1.0, top_k=2)
    assert set(p.nonzero().flatten().tolist()) == {1, 3}
    assert p.sum() == pytest.approx(1.0)
    vocab = Vocabulary.from_text(TEXT)
    torch.manual_seed(0)
    model = CharRNN(len(vocab), 16)
    text = sample(model, vocab, "t", 300, temperature=5.0, top_k=1, generator=torch.Generator().manual_seed(0))
    assert text == sample(model, vocab, "t", 300, temperature=0)  # top-1 is greedy at any temperature
    with torch.no_grad():
        logits, _ = model(vocab.encode("t").unsqueeze(0))
    top3 = set(logits[0, -1].topk(3).indices.tolist())
    firsts = {sample(model, vocab, "t", 1, temperature=3.0, top_k=3, generator=torch.Generator().manual_seed(s))
              for s in range(60)}
    assert {vocab.chars.index(c) for c in firsts} <= top3 and len(firsts) > 1


def test_checkpoints_round_trip_into_either_layer(tmp_path):
    vocab = Vocabulary.from_text(TEXT)
    torch.manual_seed(0)
    model = CharRNN(len(vocab), 8, embedding_size=4, cell="gru")
    path = tmp_path / "m.pt"
    save_checkpoint(path, model, vocab, steps=3, torch=torch.__version__)  # a str subclass, stored as a str
    loaded, loaded_vocab, info = load_checkpoint(path, fused=True)
    assert loaded_vocab == vocab and info == {"steps": 3, "torch": str(torch.__version__)}
    assert isinstance(loaded.rnn, nn.GRU)
    x = vocab.encode("to be").unsqueeze(0)
    assert (loaded(x)[0] - model(x)[0]).abs().max() < 1e-5
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")


def test_the_shipped_text_is_tiny_shakespeare_with_a_fixed_held_out_end():
    text = load_tinyshakespeare()
    assert len(text) == 1_115_394 and text.startswith("First Citizen:\nBefore we proceed any further")
    train_text, held_out = load_tinyshakespeare("train"), load_tinyshakespeare("held_out")
    assert train_text + held_out == text and len(held_out) == len(text) - TINYSHAKESPEARE_HELD_OUT == 111_540
    with pytest.raises(ValueError, match="part must be one of"):
        load_tinyshakespeare("test")
