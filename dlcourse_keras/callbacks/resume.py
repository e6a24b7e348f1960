"""Training that survives a lost session: Keras's BackupAndRestore plus a best-model file.

A long case study (notebooks 09, 12, 13) can outlive a Colab or lab session.
:func:`resumable_callbacks` gives ``model.fit`` what it needs to pick up where
it stopped: run the same cell again and training goes on from the last
finished epoch, with the same weights, optimizer state and random-number
state it had then.

On disk, one folder per run, keyed by notebook and run (``"09/resnet_seed0"``)::

    <checkpoints>/09/resnet_seed0/backup/         Keras's BackupAndRestore (deleted on success)
    <checkpoints>/09/resnet_seed0/best.keras      the best epoch so far (kept)
    <checkpoints>/09/resnet_seed0/best.json       its epoch and monitored value (strict JSON;
                                                  null when no epoch had a finite value)

``<checkpoints>`` is ``directory`` if given, else ``DLCOURSE_CHECKPOINTS``, else
``data/checkpoints`` in a writable source checkout, else
``~/.cache/dlcourse_keras/checkpoints``.
"""

import contextlib
import hashlib
import json
import math
import os
import re
import shutil
import warnings

import keras
import numpy as np

from .._fileio import replacing, write_text_atomic
from ..data.config import source_checkout_root

CHECKPOINTS_ENV = "DLCOURSE_CHECKPOINTS"
_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*")
_BACKUP = "backup"
_BEST_MODEL = "best.keras"
_BEST_RECORD = "best.json"
_RANDOM_STATE = "random_state.npz"


def checkpoints_dir(directory=None):
    """The folder that holds every run's checkpoints (absolute; not created).

    Args:
        directory: explicit folder. Default None: ``DLCOURSE_CHECKPOINTS``, else
            ``data/checkpoints`` in a writable source checkout, else
            ``~/.cache/dlcourse_keras/checkpoints``.
    """
    if directory is not None:
        if not isinstance(directory, (str, os.PathLike)) or not os.fspath(directory).strip():
            raise ValueError(f"directory={directory!r} must be a non-empty path or None.")
        return os.path.abspath(os.path.expanduser(os.fspath(directory)))
    value = os.environ.get(CHECKPOINTS_ENV, "").strip()
    if value:
        return os.path.abspath(os.path.expanduser(value))
    root = source_checkout_root()
    if root is not None:
        return os.path.join(root, "data", "checkpoints")
    return os.path.join(os.path.expanduser("~"), ".cache", "dlcourse_keras", "checkpoints")


def run_dir(key, directory=None):
    """The folder of one run, ``<checkpoints>/<key>``; ``key`` is validated."""
    if not isinstance(key, str) or not _KEY_PATTERN.fullmatch(key):
        raise ValueError(
            f"key={key!r} must be one or more '/'-separated segments of letters, digits, "
            "'-' and '_', e.g. '09/resnet_seed0'.")
    return os.path.join(checkpoints_dir(directory), *key.split("/"))


def best_model_path(key, directory=None):
    """Path of the run's best-model file (``.keras``; it may not exist yet).

    Example:

    >>> path = best_model_path("09/resnet_seed0")
    >>> # model = keras.models.load_model(path)
    """
    return os.path.join(run_dir(key, directory), _BEST_MODEL)


def _plain(value, where):
    # JSON-able copy of a run's configuration, with every float finite
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"config {where}={value!r} must be finite (NaN and inf are not allowed).")
        return value
    if isinstance(value, np.generic):
        return _plain(value.item(), where)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"config key {k!r} in {where} must be a string.")
            out[k] = _plain(v, f"{where}.{k}" if where else k)
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise ValueError(f"config {where or 'value'}={value!r} must be made of numbers, strings, bools, "
                     "None, lists and dicts (so that it has a stable fingerprint).")


def run_key(key, config):
    """``key`` with a fingerprint of the run's configuration appended: ``"09/full/resnet-3f2a9c1b0d"``.

    A resumable run is found again by its key. If the key names only the model,
    a finished run trained under an older configuration (fewer images, other
    epochs, another learning rate, another architecture) is silently reloaded
    after the code changed. Putting the configuration into the key makes any
    change start a new run, while re-running the same code still resumes or
    reloads. The fingerprint is the first 10 hex digits of the SHA-256 of the
    configuration as canonical JSON (sorted keys), so the order of a dict's
    entries does not matter; a ``config.json`` is not needed to find the run.

    Used by ``notebooks/09_cnn_architectures.ipynb``; Keras has no equivalent
    (``BackupAndRestore`` trusts its folder).

    Args:
        key: the run's name, as in :func:`resumable_callbacks`.
        config: a dict of everything that changes the result (numbers, strings,
            bools, None, lists and dicts; floats finite).

    Returns:
        The key to give :func:`resumable_callbacks` and :func:`best_model_path`.

    Example:

    >>> run_key("09/full/resnet", {"images": 55000, "epochs": 6, "lr": 2e-3})   # doctest: +SKIP
    '09/full/resnet-...'
    """
    run_dir(key)   # validates the key
    if not isinstance(config, dict):
        raise ValueError(f"config={config!r} must be a dict of the run's settings.")
    text = json.dumps(_plain(config, ""), sort_keys=True, separators=(",", ":"))
    return f"{key}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def _read_record(folder):
    """The run's ``best.json`` as a dict, or None when there is none (or it is unreadable)."""
    try:
        with open(os.path.join(folder, _BEST_RECORD)) as f:
            record = json.load(f)  # also reads the bare NaN older versions wrote
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _is_finite(value):
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):  # not a scalar: Keras's own checks deal with it
        return True


def _finite_best(record):
    """The record's best value if it is a finite number, else None."""
    best = None if record is None else record.get("best")
    if isinstance(best, bool) or not isinstance(best, (int, float)) or not math.isfinite(best):
        return None
    return float(best)


def run_finished(key, directory=None):
    """True when the run ``key`` completed with a best model: the model exists, its backup was deleted.

    ``BackupAndRestore`` deletes its backup only when ``fit`` ends normally, so a
    run killed mid-way (backup present) or never started (no best model) is not
    finished and should be trained (it resumes). A run whose monitored value was
    never finite (NaN or inf from the first epoch: the training diverged) has no
    best model either; it is not finished, and this function warns (``RuntimeWarning``)
    that training it again with the same settings will diverge again.

    Args:
        key: the run's name (see :func:`run_key`).
        directory: root folder of all runs, as in :func:`resumable_callbacks`.

    Returns:
        True or False.

    Example:

    >>> run_finished("09/never_trained")
    False
    """
    folder = run_dir(key, directory)
    if os.path.isdir(os.path.join(folder, _BACKUP)):
        return False
    record = _read_record(folder)
    if record is not None and _finite_best(record) is None:
        warnings.warn(
            f"The run {key!r} ended without a finite {record.get('monitor', 'monitored value')} "
            f"(NaN or inf in every epoch: the training diverged), so it has no best model and is "
            f"not finished. Training it again with the same settings diverges again: change them "
            f"(e.g. a lower learning rate) or call clear_checkpoints({key!r}).",
            RuntimeWarning, stacklevel=2)
        return False
    return os.path.exists(os.path.join(folder, _BEST_MODEL))


def clear_checkpoints(key, directory=None):
    """Deletes everything stored for the run ``key``; True if there was something to delete."""
    path = run_dir(key, directory)
    if not os.path.isdir(path):
        return False
    shutil.rmtree(path)
    return True


def _random_state_variables(model):
    # Keras keeps each SeedGenerator's state in a non-trainable variable that
    # save_weights leaves out; without it a resumed Dropout draws other masks.
    return [v for v in model.non_trainable_variables if "seed_generator" in v.path]


class _BackupWithRandomState(keras.callbacks.BackupAndRestore):
    """``BackupAndRestore`` that also saves and restores the layers' seed-generator states.

    Keras's backup holds the weights, the optimizer state and the epoch; the
    state of each ``keras.random.SeedGenerator`` (Dropout, GaussianNoise, ...)
    is not part of ``save_weights``, so a resumed run would draw different
    random masks from the uninterrupted one. This class stores those states
    next to Keras's files, tagged with the epoch they belong to.
    """

    def __init__(self, backup_dir):
        super().__init__(backup_dir, save_freq="epoch", double_checkpoint=True,
                         delete_checkpoint=True)
        self._random_state_path = os.path.join(backup_dir, _RANDOM_STATE)

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        metadata = os.path.join(self.backup_dir, "training_metadata.json")
        if not (os.path.exists(metadata) and os.path.exists(self._random_state_path)):
            return
        with open(metadata) as f:
            epoch = json.load(f)["epoch"]
        variables = _random_state_variables(self.model)
        with np.load(self._random_state_path) as saved:
            values = [saved[f"v{i}"] for i in range(int(saved["count"]))]
            saved_epoch = int(saved["epoch"])
        if saved_epoch != epoch or len(values) != len(variables):
            warnings.warn(
                f"The random-number state in {self._random_state_path} belongs to epoch "
                f"{saved_epoch}, the weights to epoch {epoch} (or the model changed); "
                "resuming without it, so random draws will differ from an uninterrupted run.",
                stacklevel=2)
            return
        for variable, value in zip(variables, values):
            variable.assign(value)

    def on_epoch_end(self, epoch, logs=None):
        # The random state goes first: if the session dies between the two
        # writes, the epoch tags disagree and the restore says so.
        os.makedirs(self.backup_dir, exist_ok=True)
        values = {f"v{i}": keras.ops.convert_to_numpy(v)
                  for i, v in enumerate(_random_state_variables(self.model))}

        with replacing(self._random_state_path) as temp:
            with open(temp, "wb") as f:
                np.savez(f, epoch=epoch + 1, count=len(values), **values)
        super().on_epoch_end(epoch, logs)


class _ResumableBestCheckpoint(keras.callbacks.ModelCheckpoint):
    """``ModelCheckpoint(save_best_only=True)`` whose best value survives a restart.

    A restarted ``ModelCheckpoint`` forgets the best value it had seen and
    would overwrite the best model with the first epoch after the restart.
    This one writes the best value to ``best.json`` and reads it back when
    the run resumes (when a backup exists); a fresh run starts afresh.

    A NaN or inf monitored value is never the best: Keras's ``ModelCheckpoint``
    saves the first epoch whatever its value, and nothing compares better than
    NaN afterwards, so a run that diverged at once would keep NaN weights as its
    "best" model. Here such epochs are skipped; a run that ends without a single
    finite value gets ``"best": null`` in ``best.json``, no ``best.keras`` and a
    ``RuntimeWarning``.
    """

    def __init__(self, filepath, backup_dir, monitor, mode, key):
        super().__init__(filepath, monitor=monitor, mode=mode, save_best_only=True, verbose=0)
        # "nothing seen yet" as this Keras spells it: None (newer Keras, 3.15 here) or +-inf (3.10,
        # whose comparison cannot take None)
        self._initial_best = self.best
        self._record_path = os.path.join(os.path.dirname(filepath), _BEST_RECORD)
        self._backup_dir = backup_dir
        self._key = key
        self._non_finite = []

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.best = self._initial_best
        self._non_finite = []
        resuming = os.path.exists(os.path.join(self._backup_dir, "training_metadata.json"))
        record = _read_record(os.path.dirname(self._record_path)) if resuming else None
        if record is not None and record.get("monitor") == self.monitor and _finite_best(record) is not None:
            self.best = _finite_best(record)

    def _write_record(self, best, epoch):
        record = {"monitor": self.monitor, "best": best, "epoch": epoch}
        if best is None:
            record["non_finite_epochs"] = list(self._non_finite)
        write_text_atomic(self._record_path, json.dumps(record, allow_nan=False))

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is not None and not _is_finite(current):
            self._non_finite.append(epoch + 1)  # never the best epoch, never saved
            return
        before = self.best
        super().on_epoch_end(epoch, logs)
        if self.best is not None and self.best is not before:
            self._write_record(float(self.best), epoch + 1)

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        if not self._non_finite:
            return
        epochs = ", ".join(str(e) for e in self._non_finite[:10]) + (" ..." if len(self._non_finite) > 10 else "")
        if self.best is self._initial_best:  # not one finite value: the run diverged
            # a best.keras left here belongs to an earlier run of this key, not to this one
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.filepath)
            self._write_record(None, None)
            warnings.warn(
                f"Run {self._key!r}: {self.monitor} was NaN or inf in every epoch ({epochs}): "
                "the training diverged, so no best model was saved and run_finished() is False. "
                "Lower the learning rate (or look for NaN/inf in the data), then train again "
                f"after clear_checkpoints({self._key!r}).", RuntimeWarning, stacklevel=2)
        else:
            warnings.warn(
                f"Run {self._key!r}: {self.monitor} was NaN or inf in epoch(s) {epochs}; those "
                f"epochs were skipped when choosing the best model (best {self.monitor} "
                f"{float(self.best):.5g}).", RuntimeWarning, stacklevel=2)


def resumable_callbacks(key, monitor="val_loss", mode="auto", directory=None):
    """Callbacks that let ``model.fit`` survive a lost session and keep the best model.

    Returns ``[best, backup]``:

    - ``best``, a ``keras.callbacks.ModelCheckpoint`` that keeps the epoch
      with the best ``monitor`` value as a ``.keras`` file
      (:func:`best_model_path`); its best value survives a restart too. It
      runs first, so a kill between the two saves repeats an epoch that is
      already recorded and changes nothing.
    - ``backup``, a ``keras.callbacks.BackupAndRestore`` that saves the
      weights, optimizer state and epoch after every epoch (two generations,
      so a kill in mid-write loses at most one epoch) plus the layers'
      random-number states, and restores them when ``fit`` starts again. It
      deletes its backup when ``fit`` finishes, as Keras does.

    A killed run, restarted with the same code, data, seed and ``key``,
    continues from its last finished epoch and ends with the same weights as
    an uninterrupted run (tested with a real ``SIGKILL`` on CPU) provided the
    data reach the model in an order that does not depend on how many epochs
    this process has run: ``shuffle=False`` on pre-shuffled arrays, or a
    ``tf.data`` pipeline with a fixed order. With ``fit(shuffle=True)`` the
    resumed epochs see other (equally random) orders, so the end result is
    as good but not the same number. Build the model (call it or give it an
    ``Input``) before ``fit``, as ``BackupAndRestore`` requires.

    The Keras twin is ``keras.callbacks.BackupAndRestore`` together with
    ``keras.callbacks.ModelCheckpoint(save_best_only=True)``; the README
    (section "Long trainings") shows how a teacher uses them for the case
    studies of notebooks 09, 12 and 13.

    Args:
        key: names the run, e.g. ``"09/resnet_seed0"``: '/'-separated segments
            of letters, digits, '-' and '_'. Different runs need different keys.
        monitor: the logged value that picks the best epoch. Default ``"val_loss"``.
        mode: ``"auto"`` (default), ``"min"`` or ``"max"``, as in Keras.
        directory: root folder of all runs. Default None: ``DLCOURSE_CHECKPOINTS``,
            else ``data/checkpoints`` in a source checkout, else
            ``~/.cache/dlcourse_keras/checkpoints``.

    Returns:
        A list of two Keras callbacks, for ``model.fit(..., callbacks=...)``.

    Example:

    >>> callbacks = resumable_callbacks("09/resnet_seed0")
    >>> # model.fit(x, y, validation_split=0.1, epochs=30, callbacks=callbacks)
    >>> # best = keras.models.load_model(best_model_path("09/resnet_seed0"))
    """
    if not isinstance(monitor, str) or not monitor:
        raise ValueError(f"monitor={monitor!r} must be a non-empty metric name, e.g. 'val_loss'.")
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode={mode!r} must be one of 'auto', 'min', 'max'.")
    folder = run_dir(key, directory)
    backup_dir = os.path.join(folder, _BACKUP)
    return [
        _ResumableBestCheckpoint(os.path.join(folder, _BEST_MODEL), backup_dir, monitor, mode, key),
        _BackupWithRandomState(backup_dir),
    ]
