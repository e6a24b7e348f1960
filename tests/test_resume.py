"""resumable_callbacks: a training killed with SIGKILL resumes to the same weights."""

import json
import os
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
    env = dict(os.environ, DLCOURSE_CHECKPOINTS=str(tmp_path / "ckpt"))
    out = str(tmp_path / name)
    return subprocess.Popen([sys.executable, "-c", TRAIN, key, out, str(kill_at)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), out


def _finish(process, timeout=120):
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
    deadline = time.monotonic() + 120
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
