"""Tests for dlcourse_keras.plots (headless, Agg backend)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.metrics import confusion_matrix  # noqa: E402

from dlcourse_keras.plots import (  # noqa: E402
    confusion_counts,
    evaluate_on_grid,
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_history,
    plot_loss_curves,
    plot_loss_landscape,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


AND_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
AND_Y = np.array([0, 0, 0, 1])


def test_decision_boundary_labels_draws_points_and_boundary():
    ax = plot_decision_boundary(lambda p: (p.sum(axis=1) > 1.5).astype(int), AND_X, AND_Y,
                                resolution=50, title="AND")
    assert ax.get_title() == "AND"
    assert ax.get_xlabel() and ax.get_ylabel()
    offsets = ax.collections[-1].get_offsets() if len(ax.collections) else None
    scattered = [c for c in ax.collections if len(c.get_offsets()) == 4]
    assert scattered, "the four data points must be drawn"
    np.testing.assert_allclose(np.asarray(scattered[0].get_offsets()), AND_X)
    assert offsets is not None
    # the 0/1 boundary line x1 + x2 = 1.5 is drawn as one contour level
    xmin, xmax = ax.get_xlim()
    assert xmin == pytest.approx(-0.5) and xmax == pytest.approx(1.5)


def test_decision_boundary_probabilities_and_multiclass():
    prob = plot_decision_boundary(lambda p: 1 / (1 + np.exp(-(p.sum(axis=1) - 1.5) * 5)), AND_X, AND_Y,
                                  resolution=30)
    assert len(prob.figure.axes) == 2  # score map comes with a colour bar
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 2))
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)

    def softmax_like(p):
        logits = np.stack([-p[:, 0] - p[:, 1], np.zeros(len(p)), p[:, 0] + p[:, 1]], axis=1)
        return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)

    ax = plot_decision_boundary(softmax_like, x, y, resolution=30)
    assert len(ax.get_legend().get_texts()) == 3


def test_decision_boundary_accepts_keras_model():
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    ax = plot_decision_boundary(model, AND_X, AND_Y, resolution=20)
    assert ax.get_title() == "Decision boundary"


def test_decision_boundary_bad_arguments():
    with pytest.raises(ValueError, match="shape"):
        plot_decision_boundary(lambda p: p[:, 0], np.zeros((4, 3)), AND_Y)
    with pytest.raises(ValueError, match="labels"):
        plot_decision_boundary(lambda p: p[:, 0], AND_X, AND_Y[:3])
    with pytest.raises(ValueError, match="resolution"):
        plot_decision_boundary(lambda p: p[:, 0], AND_X, AND_Y, resolution=1)
    with pytest.raises(TypeError, match="predict_fn"):
        plot_decision_boundary(42, AND_X, AND_Y)
    with pytest.raises(ValueError, match="grid points"):
        plot_decision_boundary(lambda p: np.zeros(3), AND_X, AND_Y, resolution=10)


def test_plot_history_dict_and_keras_history():
    record = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7], "accuracy": [0.5, 0.7, 0.9]}
    axes = plot_history(record)
    assert len(axes) == 2
    labels = [line.get_label() for line in axes[0].get_lines()]
    assert labels == ["loss", "val_loss"]
    np.testing.assert_allclose(axes[0].get_lines()[1].get_ydata(), record["val_loss"])
    assert axes[0].get_xlabel() == "epoch"

    import keras

    history = keras.callbacks.History()
    history.history = {"loss": [2.0, 1.0]}
    ax = plot_history(history)
    assert ax.get_lines()[0].get_ydata().tolist() == [2.0, 1.0]

    _, one = plt.subplots()
    assert plot_history(record, metrics=["loss", "accuracy"], ax=one) is one
    assert len(one.get_lines()) == 3


def test_plot_history_bad_arguments():
    with pytest.raises(ValueError, match="'auc'"):
        plot_history({"loss": [1.0]}, metrics=["auc"])
    with pytest.raises(TypeError, match="history"):
        plot_history([1, 2, 3])
    with pytest.raises(ValueError, match="empty"):
        plot_history({})
    _, axes = plt.subplots(1, 3)
    with pytest.raises(ValueError, match="3 Axes"):
        plot_history({"loss": [1.0], "accuracy": [0.5]}, ax=axes)


def test_plot_loss_curves_sequences_and_xy_pairs():
    ax = plot_loss_curves({"batch": [3.0, 2.0, 1.0], "sgd": ([0.0, 0.5], [3.0, 1.0])}, x_label="time (s)",
                          log_y=True)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["batch", "sgd"]
    np.testing.assert_allclose(lines[0].get_xdata(), [0, 1, 2])
    np.testing.assert_allclose(lines[1].get_xdata(), [0.0, 0.5])
    assert ax.get_xlabel() == "time (s)" and ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="non-empty dict"):
        plot_loss_curves([1, 2])
    with pytest.raises(ValueError, match="x has 2 values"):
        plot_loss_curves({"a": ([0, 1], [1, 2, 3])})


def test_loss_landscape_grid_and_paths():
    a, b, z = evaluate_on_grid(lambda p, q: p**2 + 3 * q**2, (-1, 1), (-2, 2), resolution=5)
    assert z.shape == (5, 5)
    np.testing.assert_allclose(z, a**2 + 3 * b**2)
    # a non-vectorised function (uses float()) is evaluated point by point
    _, _, z2 = evaluate_on_grid(lambda p, q: float(p) ** 2 + 3 * float(q) ** 2, (-1, 1), (-2, 2), 5)
    np.testing.assert_allclose(z2, z)

    paths = {"sgd": np.array([[-1.0, 1.0], [-0.5, 0.4], [0.0, 0.0]]), "adam": np.array([[1.0, 1.0], [0.0, 0.0]])}
    ax = plot_loss_landscape(lambda p, q: p**2 + 3 * q**2 + 0.1, (-1.5, 1.5), (-1.5, 1.5), path=paths,
                             log_levels=True, minimum=(0, 0), resolution=30)
    labels = [line.get_label() for line in ax.get_lines()]
    assert "sgd" in labels and "adam" in labels and "minimum" in labels
    sgd = [line for line in ax.get_lines() if line.get_label() == "sgd"][0]
    np.testing.assert_allclose(np.c_[sgd.get_xdata(), sgd.get_ydata()], paths["sgd"])
    single = plot_loss_landscape(lambda p, q: p**2 + q**2, (-1, 1), (-1, 1), path=paths["adam"], resolution=10)
    assert [line.get_label() for line in single.get_lines()][0] == "path"


def test_loss_landscape_bad_arguments():
    f = lambda p, q: p**2 + q**2  # noqa: E731
    with pytest.raises(ValueError, match="x_range"):
        plot_loss_landscape(f, (1, -1), (-1, 1))
    with pytest.raises(ValueError, match="y_range"):
        plot_loss_landscape(f, (-1, 1), "ab")
    with pytest.raises(ValueError, match="shape \\(k, 2\\)"):
        plot_loss_landscape(f, (-1, 1), (-1, 1), path=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="positive loss"):
        plot_loss_landscape(lambda p, q: p + q, (-1, 1), (-1, 1), log_levels=True, resolution=5)


def test_confusion_matrix_counts_drawn_equal_sklearn():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 4, size=200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.integers(0, 4, size=200))
    expected = confusion_matrix(y_true, y_pred)
    ax = plot_confusion_matrix(y_true, y_pred, class_names=["a", "b", "c", "d"])
    drawn = np.array([int(t.get_text()) for t in ax.texts]).reshape(4, 4)
    np.testing.assert_array_equal(drawn, expected)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c", "d"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    # probabilities are reduced by arg-max; normalisations match sklearn's
    probs = np.eye(4)[y_pred] * 0.9 + 0.025
    np.testing.assert_array_equal(confusion_counts(y_true, probs), expected)
    for mode in ("true", "pred", "all"):
        np.testing.assert_allclose(confusion_counts(y_true, y_pred, normalize=mode),
                                   confusion_matrix(y_true, y_pred, normalize=mode))
    norm = plot_confusion_matrix(y_true, y_pred, normalize=True)
    assert norm.texts[0].get_text() == f"{expected[0, 0] / expected[0].sum():.2f}"


def test_confusion_matrix_bad_arguments():
    with pytest.raises(ValueError, match="normalize='rows'"):
        plot_confusion_matrix([0, 1], [0, 1], normalize="rows")
    with pytest.raises(ValueError, match="y_pred has 1"):
        plot_confusion_matrix([0, 1], [0])
    with pytest.raises(ValueError, match="num_classes=2"):
        plot_confusion_matrix([0, 1, 2], [0, 1, 2], class_names=["a", "b"])
    with pytest.raises(ValueError, match="non-integer"):
        confusion_counts([0.5, 1.0], [0, 1])
    with pytest.raises(ValueError, match="non-negative"):
        confusion_counts([-1, 1], [0, 1])


# --- convolution plots: filters, feature maps, image grids (notebook 08) ---

def test_plot_filters_one_panel_per_filter_symmetric_scale():
    from dlcourse_keras.plots import plot_filters

    kernel = np.random.default_rng(0).normal(size=(3, 3, 2, 5))
    fig = plot_filters(kernel, channel=1, title="random")
    assert len(fig.filter_axes) == 5
    assert "random" in fig._suptitle.get_text()
    first = fig.filter_axes[0].images[0]
    np.testing.assert_allclose(first.get_array(), kernel[:, :, 1, 0])
    low, high = first.get_clim()
    assert low == pytest.approx(-np.abs(kernel[:, :, 1, :]).max()) and high == pytest.approx(-low)
    # a single 2-D kernel, annotated by default
    edge = np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]])
    fig2 = plot_filters(edge)
    assert len(fig2.filter_axes) == 1 and len(fig2.filter_axes[0].texts) == 9
    mean = plot_filters(kernel, channel="mean", max_filters=3)
    np.testing.assert_allclose(mean.filter_axes[2].images[0].get_array(), kernel[:, :, :, 2].mean(axis=2))


def test_plot_filters_accepts_layer_and_rejects_bad_arguments():
    import keras

    from dlcourse_keras.plots import plot_filters

    layer = keras.layers.Conv2D(4, 3)
    layer.build((None, 8, 8, 1))
    fig = plot_filters(layer)
    assert len(fig.filter_axes) == 4
    with pytest.raises(ValueError, match="channel"):
        plot_filters(layer, channel=3)
    with pytest.raises(ValueError, match="max_filters"):
        plot_filters(layer, max_filters=0)
    with pytest.raises(ValueError, match="kernel"):
        plot_filters(np.zeros(5))


def test_feature_maps_and_plot_feature_maps():
    import keras

    from dlcourse_keras.plots import feature_maps, plot_feature_maps

    inputs = keras.Input((10, 10, 1))
    conv = keras.layers.Conv2D(3, 3, name="conv")(inputs)
    model = keras.Model(inputs, keras.layers.GlobalMaxPooling2D()(conv))
    x = np.random.default_rng(1).normal(size=(2, 10, 10, 1)).astype("float32")
    maps = feature_maps(model, "conv", x)
    expected = keras.ops.convert_to_numpy(model.get_layer("conv")(x))
    np.testing.assert_allclose(maps["conv"], expected, atol=1e-5)
    with pytest.raises(ValueError, match="not a layer"):
        feature_maps(model, ["nope"], x)
    fig = plot_feature_maps(maps["conv"][:1], image=x[0], max_maps=2)
    assert len(fig.map_axes) == 2 and len(fig.axes) == 3
    np.testing.assert_allclose(fig.map_axes[1].images[0].get_array(), maps["conv"][0, :, :, 1], rtol=1e-6)
    with pytest.raises(ValueError, match="one example"):
        plot_feature_maps(maps["conv"])


def test_plot_image_grid_marks_right_and_wrong_predictions():
    from dlcourse_keras.plots import plot_image_grid

    images = np.random.default_rng(2).random((5, 6, 6, 1))
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7], [0.5, 0.5]])
    fig = plot_image_grid(images, labels=[0, 1, 1, 1, 0], predictions=probs, class_names=["cat", "dog"],
                          max_images=4, ncols=2)
    assert fig.correct == [True, True, False, True]
    assert len(fig.image_axes) == 4
    wrong = fig.image_axes[2].title
    assert "pred cat 60%" in wrong.get_text() and "true dog" in wrong.get_text()
    assert wrong.get_color() == "red" and fig.image_axes[0].title.get_color() == "green"
    plain = plot_image_grid(images[:, :, :, 0], labels=[0, 1, 1, 1, 0])
    assert plain.correct is None and plain.image_axes[1].get_title() == "1"
    with pytest.raises(ValueError, match="images has shape"):
        plot_image_grid(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="predictions has 1"):
        plot_image_grid(images, predictions=[0])


def test_plot_graph_draws_one_circle_per_node_and_one_arrow_per_edge():
    from matplotlib.patches import Circle, FancyArrowPatch

    from dlcourse_keras.plots import plot_graph

    nodes = {"a": (0, 0, "$a$"), "b": (0, 2), "d": (2, 1, "$+$")}
    edges = [("a", "d", "$1$"), ("b", "d")]
    ax = plot_graph(nodes, edges, title="tiny")
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(circles) == 3 and len(arrows) == 2
    assert sorted(tuple(c.center) for c in circles) == [(0, 0), (0, 2), (2, 1)]
    texts = [t.get_text() for t in ax.texts]
    assert {"$a$", "b", "$+$", "$1$"} <= set(texts) and len(texts) == 4
    assert ax.get_title() == "tiny"
    moved = plot_graph({"a": (0, 0), "b": (2, 0)}, [("a", "b", "w", 0.25)])
    assert moved.texts[-1].get_position()[0] == pytest.approx(0.28 + 0.25 * (2 - 2 * 0.28))
    x0, y0 = arrows[0].get_path().vertices[0]  # the arrow starts on the circle's rim, not its centre
    assert abs(np.hypot(x0, y0) - 0.28) < 0.05


@pytest.mark.parametrize("nodes, edges, kwargs, match", [
    ({}, [], {}, "nodes="),
    ({"a": (0, 0)}, [("a", "z")], {}, "'z'"),
    ({"a": (0, 0), "b": (0.1, 0)}, [("a", "b")], {}, "overlap"),
    ({"a": (0, 0)}, [], {"node_radius": float("nan")}, "node_radius="),
    ({"a": (0, 0)}, [], {"edge_label_position": 2}, "edge_label_position="),
    ({"a": (0, 0), "b": (2, 0)}, [("a", "b", "x", 1.5)], {}, "label position 1.5"),
])
def test_plot_graph_rejects_bad_arguments(nodes, edges, kwargs, match):
    from dlcourse_keras.plots import plot_graph

    with pytest.raises(ValueError, match=match):
        plot_graph(nodes, edges, **kwargs)
