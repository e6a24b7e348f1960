import numpy as np
import pytest

import dlcourse_keras as dl


def _draw():
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    return (np.random.rand(3), keras.random.normal((2,)).numpy(), model.layers[0].kernel.numpy())


def test_same_seed_gives_the_same_numbers():
    dl.seed_everything(7)
    first = _draw()
    dl.seed_everything(7)
    second = _draw()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    dl.seed_everything(8)
    third = _draw()
    assert not np.array_equal(first[2], third[2])


@pytest.mark.parametrize("seed", [-1, 1.5, "42", True])
def test_bad_seed_is_rejected(seed):
    with pytest.raises(ValueError, match="seed="):
        dl.seed_everything(seed)


def test_seed_beyond_numpys_range_is_named_with_the_range():
    # used to fail inside NumPy with "Seed must be between 0 and 2**32 - 1", naming no argument
    with pytest.raises(ValueError, match=r"seed=1099511627776 must be an integer in \[0, 4294967295\]"):
        dl.seed_everything(2**40)
    assert dl.seed_everything(2**32 - 1) == 2**32 - 1


def test_setup_reports_profile_and_versions(monkeypatch, capsys):
    monkeypatch.setenv("DLCOURSE_PROFILE", "smoke")
    info = dl.setup(seed=3)
    line = capsys.readouterr().out
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")  # the machine may have accelerators
    assert info["profile"] == "smoke" and info["seed"] == 3
    assert info["device"] == (f"{len(gpus)} GPU" if gpus else "CPU")
    assert "profile smoke" in line and "TF " in line and line.count("\n") == 1


def test_setup_sets_the_course_figure_size_and_dpi(monkeypatch, capsys):
    import matplotlib

    from dlcourse_keras.course import session

    monkeypatch.setenv("DLCOURSE_PROFILE", "smoke")
    with matplotlib.rc_context({"figure.figsize": [1.0, 2.0], "figure.dpi": 33.0}):
        dl.setup(seed=0, verbose=False)
        assert tuple(matplotlib.rcParams["figure.figsize"]) == tuple(session.FIGURE_SIZE)
        assert matplotlib.rcParams["figure.dpi"] == session.FIGURE_DPI
        import matplotlib.pyplot as plt

        fig = plt.figure()  # a new figure without arguments gets the course's size in pixels
        width, height = session.FIGURE_SIZE
        assert tuple(fig.canvas.get_width_height()) == (round(width * session.FIGURE_DPI),
                                                        round(height * session.FIGURE_DPI))
        plt.close(fig)
    assert 3 <= session.FIGURE_SIZE[0] <= 12 and 2 <= session.FIGURE_SIZE[1] <= 8 and 50 <= session.FIGURE_DPI <= 150


def test_import_is_cheap():
    import subprocess
    import sys

    code = ("import sys, dlcourse_keras, dlcourse_keras.data; "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
