import pytest
import torch

from rnntutor.cli import main

ENGLISH = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n" * 6
# A small Chinese text (Li Bai's "Quiet night thought" and lines of our own): one character per token.
CHINESE = "床前明月光，疑是地上霜。举头望明月，低头思故乡。\n春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。\n" * 5


@pytest.fixture(autouse=True)
def restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def run(capsys, *args):
    status = main(["generate", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def refused(capsys, *args):
    """Run the command on bad input: exit 2, nothing on stdout, one line on stderr; return that line."""
    status, out, err = run(capsys, *args)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("rnntutor generate: error: ")
    return err.strip()


def test_a_chinese_text_trains_scores_and_samples_chinese_characters(capsys, tmp_path):
    path = write(tmp_path, "poems.txt", CHINESE)
    status, out, err = run(capsys, path, "--steps", 6, "--hidden", 16, "--length", 30, "--prime", "明月",
                           "--temperature", 0.5)
    assert status == 0
    assert f"{path}: {len(CHINESE)} characters, {len(set(CHINESE))} distinct" in out
    assert "training loss" in out and "loss=" in err  # the progress bar, with the loss, goes to stderr
    scores = {line.split()[0]: float(line.split()[-1]) for line in out.splitlines() if line.startswith("  ")}
    assert set(scores) >= {"unigram", "LSTM"} and any(key.endswith("-gram") for key in scores)
    assert all(0 < value < 10 for value in scores.values())
    sampled = out.split("the prime is '明月'):\n")[1].rstrip("\n")
    assert sampled.startswith("明月") and len(sampled) == 32
    assert set(sampled) <= set(CHINESE)


def test_save_then_load_continues_from_the_checkpoint_and_never_overwrites(capsys, tmp_path):
    path = write(tmp_path, "hamlet.txt", ENGLISH)
    checkpoint = tmp_path / "model.pt"
    status, out, _ = run(capsys, path, "--steps", 4, "--hidden", 12, "--length", 10, "--save", checkpoint)
    assert status == 0 and f"checkpoint written to {checkpoint}" in out and checkpoint.stat().st_size > 1000
    saved = checkpoint.read_bytes()
    line = refused(capsys, path, "--steps", 4, "--save", checkpoint)
    assert line.endswith(f"--save {checkpoint} exists; pass --overwrite to replace it")
    assert checkpoint.read_bytes() == saved
    status, out, _ = run(capsys, path, "--load", checkpoint, "--length", 10)  # no training: 0 steps
    assert status == 0 and "LSTM (4 steps)" in out and "trained" not in out
    status, out, _ = run(capsys, path, "--load", checkpoint, "--steps", 2, "--length", 10, "--save", checkpoint,
                         "--overwrite")
    assert status == 0 and "LSTM (6 steps)" in out and checkpoint.read_bytes() != saved


def test_a_checkpoint_from_another_vocabulary_is_refused(capsys, tmp_path):
    english = write(tmp_path, "hamlet.txt", ENGLISH)
    chinese = write(tmp_path, "poems.txt", CHINESE)
    checkpoint = tmp_path / "english.pt"
    assert run(capsys, english, "--steps", 1, "--hidden", 8, "--length", 5, "--save", checkpoint)[0] == 0
    line = refused(capsys, chinese, "--load", checkpoint)
    assert "the checkpoint comes from another vocabulary" in line and "characters of" in line
    junk = write(tmp_path, "junk.pt", b"PK\x03\x04 not a checkpoint")
    assert "not a checkpoint of rnntutor's character model" in refused(capsys, english, "--load", junk)
    assert refused(capsys, english, "--load", tmp_path / "missing.pt").endswith("no such file")


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.txt", b"", "the file is empty"),
    ("blank.txt", b" \n\n\t\n", "the file is empty (only white space)"),
    ("short.txt", "a short text of forty-four characters here.", "43 characters are too short; at least 100"),
    ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "a binary file (it holds NUL bytes), not text"),
    ("latin1.txt", "café crème, déjà vu. ".encode("latin-1") * 10, "not UTF-8 text (byte 0xe9 at position 3"),
])
def test_bad_files_get_one_line_and_exit_2(capsys, tmp_path, name, content, message):
    path = write(tmp_path, name, content)
    assert message in refused(capsys, path)


def test_a_missing_file_gets_one_line_and_exit_2(capsys, tmp_path):
    assert refused(capsys, tmp_path / "nothing.txt").endswith(f"no such file: {tmp_path / 'nothing.txt'}")
    assert "no such file" in refused(capsys, tmp_path)  # a directory is not a text file


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--length", 0, "--length must be a positive number of characters, got 0"),
    ("--length", -5, "--length must be a positive number of characters, got -5"),
    ("--temperature", 0, "--temperature must be a positive number, got 0.0"),
    ("--temperature", -0.5, "--temperature must be a positive number, got -0.5"),
    ("--temperature", "nan", "--temperature must be a positive number, got nan"),
    ("--steps", -1, "--steps must be at least 0, got -1"),
    ("--steps", 0, "--steps 0 trains nothing"),
    ("--top-k", 0, "--top-k must be at least 1, got 0"),
    ("--prime", "To b§", "--prime holds characters the model does not know: '§'"),
])
def test_bad_options_get_one_line_and_exit_2(capsys, tmp_path, option, value, message):
    path = write(tmp_path, "hamlet.txt", ENGLISH)
    extra = ["--steps", 1, "--hidden", 4] if option == "--prime" else []
    assert message in refused(capsys, path, *extra, option, value)


def test_an_option_that_is_not_a_number_gets_one_line_and_exit_2(capsys, tmp_path):
    path = write(tmp_path, "hamlet.txt", ENGLISH)
    with pytest.raises(SystemExit) as stop:
        main(["generate", str(path), "--length", "many"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and "invalid int value: 'many'" in err
