"""The one call at the top of every notebook."""

import os
import sys

from .._tensorflow import import_tensorflow, quiet_tensorflow  # noqa: F401 (re-exported for notebooks)


def in_colab():
    """True inside Google Colab."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


#: The course's one figure size (inches, width x height) and resolution (dots per inch).
#: ``setup()`` makes them matplotlib's defaults; a notebook passes ``figsize`` only where a
#: layout (several panels, a square map) needs another shape.
FIGURE_SIZE = (6.4, 4.0)
FIGURE_DPI = 80


def use_course_figure_style():
    """Sets matplotlib's default figure size and dpi to the course's (FIGURE_SIZE, FIGURE_DPI).

    Called by ``setup()``; figures saved with ``record_figure`` keep the same dpi.

    Example:

    >>> import dlcourse_keras as dl
    >>> dl.course.session.use_course_figure_style()
    """
    import matplotlib

    matplotlib.rcParams["figure.figsize"] = list(FIGURE_SIZE)
    matplotlib.rcParams["figure.dpi"] = FIGURE_DPI


def setup(seed=42, verbose=True):
    """Prepares a notebook: quiet logs, seeds, profile, figure style, one status line.

    Matplotlib's default figure size and dpi become the course's ``FIGURE_SIZE`` and
    ``FIGURE_DPI``, so every notebook draws at one size unless a layout asks otherwise.

    Args:
        seed: seed for Python, NumPy, Keras and TensorFlow. Default 42.
        verbose: print the status line. Default True.

    Returns:
        A dict with ``profile``, ``seed``, ``device``, ``tensorflow``,
        ``keras`` and ``data_mirror``.

    Example:

    >>> import dlcourse_keras as dl
    >>> info = dl.setup(seed=0, verbose=False)
    >>> info["seed"], info["profile"] in ("smoke", "full")
    (0, True)
    """
    quiet_tensorflow()
    from . import profile as _profile
    from ..seeding import seed_everything

    prof = _profile.get_profile()
    tf = import_tensorflow()
    import keras

    seed_everything(seed)
    use_course_figure_style()
    from ..registration import register_keras_objects

    register_keras_objects()  # so load_model finds the course's layers and models
    gpus = tf.config.list_logical_devices("GPU")
    device = f"{len(gpus)} GPU" if gpus else "CPU"
    mirror = os.environ.get("DLCOURSE_MIRROR") or "none"
    info = {
        "profile": prof,
        "seed": seed,
        "device": device,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "data_mirror": mirror,
    }
    if verbose:
        print(
            f"dlcourse_keras | TF {tf.__version__} | Keras {keras.__version__} | "
            # the mirror's path is machine-specific: committed outputs name only whether one is set
            f"device {device} | profile {prof} | seed {seed} | "
            f"data {'from the mirror' if mirror != 'none' else 'from cache, packages or downloads'}"
        )
    return info
