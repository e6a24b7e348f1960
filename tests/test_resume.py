"""resumable_callbacks: a training killed with SIGKILL resumes to the same weights."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from dlcourse_keras.callbacks import resume
from dlcourse_keras.callbacks.resume import best_model_path, clear_checkpoints, resumable_callbacks
from dlcourse_keras.seeding import seed_everything

# Trains a small model with Dropout (so the random state matters) for EPOCHS
# epochs. With KILL_AT set, it writes a marker in the middle of that epoch and
# waits to be killed; otherwise it trains to the end and saves the weights.
TRAIN = r"""
import os, sys, time
import numpy as np, keras
from dlcourse_keras.callbacks import resumable_callbacks
from dlcourse_keras.seeding import seed_everything

key, out, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
seed_everything(7)
rng = np.random.default_rng(0)
x = rng.normal(size=(256, 8)).astype("float32")
y = (x[:, :4].sum(axis=1) > 0).astype("float32")
model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dropout(0.3), keras.layers.Dense(1, activation="sigmoid")])
model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy")

class WaitForKill(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == kill_at and batch == 3:
            open(out + ".ready", "w").close()
            time.sleep(600)
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

history = model.fit(x[:192], y[:192], validation_data=(x[192:], y[192:]), batch_size=16,
                    epochs=6, shuffle=False, verbose=0,
                    callbacks=resumable_callbacks(key) + [WaitForKill()])
np.savez(out, *model.get_weights(), epochs_run=len(history.history["loss"]),
         val_loss=np.array(history.history["val_loss"]))
"""


def _train(tmp_path, key, name, kill_at=-1):
    # On the CPU: two processes could not share one GPU's memory.
    env = dict(os.environ, DLCOURSE_CHECKPOINTS=str(tmp_path / "ckpt"), CUDA_VISIBLE_DEVICES="")
    out = str(tmp_path / name)
    return subprocess.Popen([sys.executable, "-c", TRAIN, key, out, str(kill_at)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), out


def _finish(process, timeout=600):
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert process.returncode == 0, err[-2000:]


def _weights(path):
    with np.load(path + ".npz") as f:
        return [f[k] for k in sorted(f.files) if k.startswith("arr_")], int(f["epochs_run"])


def test_a_killed_run_resumes_to_the_weights_of_an_uninterrupted_run(tmp_path):
    reference, ref_out = _train(tmp_path, "t/uninterrupted", "reference")
    victim, out = _train(tmp_path, "t/killed", "killed", kill_at=3)
    deadline = time.monotonic() + 600  # generous: a shared 2-core machine can be 10x slower
    while not os.path.exists(out + ".ready"):
        assert victim.poll() is None, victim.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the training never reached the kill point"
        time.sleep(0.2)
    victim.send_signal(signal.SIGKILL)  # a real kill: no clean-up code runs
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    backup = tmp_path / "ckpt" / "t" / "killed" / "backup"
    with open(backup / "training_metadata.json") as f:
        assert json.load(f)["epoch"] == 3  # epochs 0-2 finished, 3 was under way

    restarted, out = _train(tmp_path, "t/killed", "killed")
    _finish(restarted)
    _finish(reference)
    expected, expected_epochs = _weights(ref_out)
    got, epochs_run = _weights(out)
    assert expected_epochs == 6 and epochs_run == 3  # it resumed, it did not start over
    for a, b in zip(expected, got, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not backup.exists()  # deleted on success, as Keras does
    assert os.path.exists(best_model_path("t/killed", tmp_path / "ckpt"))


# ---- in-process checks: the random state, the best model, paths and arguments ----

class Interrupt(keras.callbacks.Callback):
    """Stops fit() with an exception as epoch ``at`` begins, as a lost session would."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            raise KeyboardInterrupt


def _dropout_run(callbacks_for_run, interrupt_at=None):
    """Fits a Dropout model for 4 epochs; with ``interrupt_at``, first a run that stops there."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 6)).astype("float32")
    y = x[:, :2].sum(axis=1, keepdims=True)

    def fit(extra):
        seed_everything(11)  # a restarted process seeds and builds the model again
        model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(12, activation="relu"),
                                  keras.layers.Dropout(0.4), keras.layers.Dense(1)])
        model.compile(keras.optimizers.Adam(0.02), "mse")
        model.fit(x[:48], y[:48], validation_data=(x[48:], y[48:]), batch_size=8, epochs=4,
                  shuffle=False, verbose=0, callbacks=callbacks_for_run() + extra)
        return model

    if interrupt_at is not None:
        with pytest.raises(KeyboardInterrupt):
            fit([Interrupt(interrupt_at)])
    return fit([]).get_weights()


def test_resumed_dropout_draws_the_same_masks(tmp_path):
    reference = _dropout_run(lambda: [])
    ours = _dropout_run(lambda: resumable_callbacks("t/ours", directory=tmp_path), interrupt_at=2)
    for a, b in zip(reference, ours, strict=True):
        np.testing.assert_array_equal(a, b)
    # Keras's BackupAndRestore alone restores weights and optimizer but not the
    # seed-generator state, so the resumed epochs draw other Dropout masks.
    plain = _dropout_run(lambda: [keras.callbacks.BackupAndRestore(str(tmp_path / "plain"))],
                         interrupt_at=2)
    assert any(not np.array_equal(a, b) for a, b in zip(reference, plain, strict=True))


def _drive(callbacks, model, values, first_epoch=0):
    """Feeds scripted validation losses to the callbacks as fit() would."""
    for callback in callbacks:
        callback.set_model(model)
        callback.on_train_begin()
    for epoch, value in enumerate(values, start=first_epoch):
        model.layers[0].kernel.assign(np.full((2, 1), float(epoch), "float32"))  # tags the epoch
        for callback in callbacks:
            callback.on_epoch_begin(epoch)
        for callback in callbacks:
            callback.on_epoch_end(epoch, {"loss": value, "val_loss": value})


def _tiny_model():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def test_the_best_model_survives_a_restart(tmp_path):
    model = _tiny_model()
    _drive(resumable_callbacks("t/best", directory=tmp_path), model, [0.9, 0.5, 0.7])
    path = best_model_path("t/best", tmp_path)
    assert float(keras.models.load_model(path).layers[0].kernel[0, 0]) == 1.0  # epoch 1 (0.5)
    # The session dies after epoch 2; the restart sees a worse epoch 3 first.
    _drive(resumable_callbacks("t/best", directory=tmp_path), model, [0.6, 0.4], first_epoch=3)
    saved = keras.models.load_model(path).layers[0].kernel
    with open(os.path.join(os.path.dirname(path), "best.json")) as f:
        record = json.load(f)
    assert float(saved[0, 0]) == 4.0 and record == {"monitor": "val_loss", "best": 0.4, "epoch": 5}
    # A fresh run of the same key (no backup left) starts its own record.
    shutil.rmtree(os.path.join(resume.run_dir("t/best", tmp_path), "backup"))
    _drive(resumable_callbacks("t/best", directory=tmp_path), model, [0.8])
    assert float(keras.models.load_model(path).layers[0].kernel[0, 0]) == 0.0


def test_where_checkpoints_go(tmp_path, monkeypatch):
    monkeypatch.delenv(resume.CHECKPOINTS_ENV, raising=False)
    default = resume.checkpoints_dir()
    assert os.path.isabs(default) and default.endswith(os.path.join("data", "checkpoints"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(resume.CHECKPOINTS_ENV, "relative/ckpt")
    assert resume.checkpoints_dir() == str(tmp_path / "relative" / "ckpt")
    assert best_model_path("09/resnet_seed0") == str(
        tmp_path / "relative" / "ckpt" / "09" / "resnet_seed0" / "best.keras")
    assert best_model_path("x", tmp_path / "d") == str(tmp_path / "d" / "x" / "best.keras")
    os.makedirs(tmp_path / "d" / "x" / "backup")
    assert clear_checkpoints("x", directory=tmp_path / "d") is True
    assert not (tmp_path / "d" / "x").exists()
    assert clear_checkpoints("x", directory=tmp_path / "d") is False


@pytest.mark.parametrize("key", ["", "09/", "/abs", "../up", "a/../b", "a b", "09\\x", "a//b",
                                 9, None])
def test_bad_keys_are_named(key, tmp_path):
    with pytest.raises(ValueError, match="key="):
        resumable_callbacks(key, directory=tmp_path)
    with pytest.raises(ValueError, match="key="):
        clear_checkpoints(key, directory=tmp_path)


@pytest.mark.parametrize("kwargs, message", [
    (dict(monitor=""), "monitor=''"),
    (dict(monitor=None), "monitor=None"),
    (dict(mode="best"), "mode='best'"),
    (dict(directory=""), "directory=''"),
    (dict(directory=3), "directory=3"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        resumable_callbacks("09/run", **kwargs)


def test_callbacks_are_the_keras_ones(tmp_path):
    best, backup = resumable_callbacks("09/run", monitor="val_accuracy", directory=tmp_path)
    assert isinstance(best, keras.callbacks.ModelCheckpoint) and best.save_best_only
    assert best.monitor == "val_accuracy" and best.filepath.endswith(".keras")
    assert isinstance(backup, keras.callbacks.BackupAndRestore) and backup.delete_checkpoint
    assert backup.backup_dir == str(tmp_path / "09" / "run" / "backup")


def test_run_key_fingerprints_the_configuration():
    config = {"images": 55_000, "epochs": 6, "lr": 2e-3, "widths": (16, 32), "augment": None}
    key = resume.run_key("09/full/resnet", config)
    assert key.startswith("09/full/resnet-") and len(key) == len("09/full/resnet-") + 10
    assert resume.run_dir(key)   # a valid key
    reordered = dict(reversed(list(config.items())))
    assert resume.run_key("09/full/resnet", reordered) == key
    assert resume.run_key("09/full/resnet", {**config, "widths": [16, 32]}) == key
    assert resume.run_key("09/full/resnet", {**config, "lr": np.float32(2e-3).item()}) != key
    for change in ({"images": 20_000}, {"epochs": 3}, {"widths": (16, 32, 64)}, {"augment": "flip"}):
        assert resume.run_key("09/full/resnet", {**config, **change}) != key
    assert resume.run_key("09/full/vgg", config) != key


def test_a_finished_run_is_reused_only_under_its_own_configuration(tmp_path):
    # The bug this catches: notebook 09 keyed its runs by model name only, so a run
    # finished under an older configuration was reloaded after the code changed.
    old, new = {"epochs": 3, "images": 20_000}, {"epochs": 6, "images": 55_000}
    x = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
    key_old = resume.run_key("09/m", old)
    model = _tiny_model()
    model.fit(x, x[:, :1], validation_data=(x, x[:, :1]), epochs=2, verbose=0,
              callbacks=resumable_callbacks(key_old, directory=tmp_path))
    assert resume.run_finished(key_old, tmp_path)
    assert not resume.run_finished(resume.run_key("09/m", new), tmp_path)
    assert not resume.run_finished("09/never", tmp_path)
    # a killed run leaves its backup: not finished, so it is trained again (and resumes)
    os.makedirs(os.path.join(resume.run_dir(key_old, tmp_path), "backup"))
    assert not resume.run_finished(key_old, tmp_path)


@pytest.mark.parametrize("config, message", [
    ([1, 2], "must be a dict"), ({"lr": float("nan")}, "lr=nan"), ({"a": {"b": float("inf")}}, "a.b=inf"),
    ({"f": print}, "f="), ({1: 2}, "config key 1"),
])
def test_run_key_rejects_configurations_without_a_stable_fingerprint(config, message):
    with pytest.raises(ValueError, match=message):
        resume.run_key("09/m", config)
    with pytest.raises(ValueError, match="key="):
        resume.run_key("../up", {})


# ---------------------------------------------------------------- a run whose monitored value is NaN
def _strict_json(path):
    def refuse(constant):
        raise ValueError(f"{path} holds {constant}, which is not JSON")

    with open(path) as f:
        return json.loads(f.read(), parse_constant=refuse)


def _fit_with_nan_validation(key, directory, epochs=2):
    x = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
    y_val = np.full((16, 1), np.nan, "float32")  # val_loss is NaN in every epoch
    model = _tiny_model()
    return model.fit(x, x[:, :1], validation_data=(x, y_val), epochs=epochs, verbose=0,
                     callbacks=resumable_callbacks(key, directory=directory))


def test_a_run_that_is_nan_from_the_first_epoch_is_not_finished(tmp_path):
    # Keras's ModelCheckpoint saves the first epoch whatever its value: best.json held a bare
    # NaN, best.keras NaN-trained weights, and run_finished() said True, so a notebook reloaded
    # the diverged model without a word.
    with pytest.warns(RuntimeWarning, match=r"val_loss was NaN or inf in every epoch \(1, 2\)"):
        _fit_with_nan_validation("t/nan", tmp_path)
    folder = resume.run_dir("t/nan", tmp_path)
    assert not os.path.exists(best_model_path("t/nan", tmp_path))
    record = _strict_json(os.path.join(folder, "best.json"))
    assert record == {"monitor": "val_loss", "best": None, "epoch": None, "non_finite_epochs": [1, 2]}
    with pytest.warns(RuntimeWarning, match="ended without a finite val_loss.*not finished"):
        assert resume.run_finished("t/nan", tmp_path) is False


def test_a_diverged_rerun_does_not_leave_an_earlier_best_model_to_be_loaded(tmp_path):
    x = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
    _tiny_model().fit(x, x[:, :1], validation_data=(x, x[:, :1]), epochs=1, verbose=0,
                      callbacks=resumable_callbacks("t/again", directory=tmp_path))
    assert resume.run_finished("t/again", tmp_path)
    with pytest.warns(RuntimeWarning, match="every epoch"):
        _fit_with_nan_validation("t/again", tmp_path, epochs=1)
    assert not os.path.exists(best_model_path("t/again", tmp_path))
    with pytest.warns(RuntimeWarning):
        assert not resume.run_finished("t/again", tmp_path)


def test_non_finite_epochs_are_never_the_best(tmp_path):
    model = _tiny_model()
    callbacks = resumable_callbacks("t/mixed", directory=tmp_path)
    _drive(callbacks, model, [float("nan"), 0.5, float("inf"), 0.4, float("nan")])
    with pytest.warns(RuntimeWarning, match=r"NaN or inf in epoch\(s\) 1, 3, 5; those epochs were skipped"):
        for callback in callbacks:
            callback.on_train_end()
    path = best_model_path("t/mixed", tmp_path)
    assert float(keras.models.load_model(path).layers[0].kernel[0, 0]) == 3.0  # epoch 4 (0.4)
    assert _strict_json(os.path.join(os.path.dirname(path), "best.json")) == {
        "monitor": "val_loss", "best": 0.4, "epoch": 4}
    assert resume.run_finished("t/mixed", tmp_path)


def test_a_nan_record_written_by_an_older_version_is_not_a_finished_run(tmp_path):
    folder = resume.run_dir("t/old", tmp_path)
    os.makedirs(folder)
    _tiny_model().save(os.path.join(folder, "best.keras"))
    with open(os.path.join(folder, "best.json"), "w") as f:
        f.write('{"monitor": "val_loss", "best": NaN, "epoch": 1}')
    with pytest.warns(RuntimeWarning, match="not finished"):
        assert resume.run_finished("t/old", tmp_path) is False


def test_checkpoint_files_are_written_through_the_one_atomic_helper(tmp_path, monkeypatch):
    # resume.py had its own writer with a fixed ".partial" name; it now uses dlcourse_keras._fileio
    written = []
    real_replacing, real_write_text = resume.replacing, resume.write_text_atomic

    def replacing(path):
        written.append(os.path.basename(path))
        return real_replacing(path)

    def write_text_atomic(path, text):
        written.append(os.path.basename(path))
        return real_write_text(path, text)

    monkeypatch.setattr(resume, "replacing", replacing)
    monkeypatch.setattr(resume, "write_text_atomic", write_text_atomic)
    x = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
    _tiny_model().fit(x, x[:, :1], validation_data=(x, x[:, :1]), epochs=2, verbose=0,
                      callbacks=resumable_callbacks("t/atomic", directory=tmp_path))
    assert written.count("random_state.npz") == 2 and "best.json" in written
    folder = resume.run_dir("t/atomic", tmp_path)
    assert sorted(os.listdir(folder)) == ["best.json", "best.keras"]  # no temporary file left
