"""The notes' intercept example pinned step by step; batch / stochastic / mini-batch gradient descent."""

import numpy as np
import pytest

from dlcourse_keras.numpy_ref import gradient_descent as gd

XYS = {k: gd.NOTES_EXAMPLE[k] for k in ("x", "y", "slope")}


def test_intercept_example_every_step_pinned():
    steps = gd.intercept_descent(**gd.NOTES_EXAMPLE, steps=6)
    derivatives = [s.derivative for s in steps]
    np.testing.assert_allclose(derivatives, [-5.704, -2.2816, -0.91264, -0.365056, -0.1460224, -0.05840896],
                               atol=1e-9)
    new = [s.new_intercept for s in steps]
    np.testing.assert_allclose(new, [0.5704, 0.79856, 0.889824, 0.9263296, 0.94093184, 0.946772736], atol=1e-9)
    np.testing.assert_allclose([s.step_size for s in steps], 0.1 * np.array(derivatives), atol=1e-12)
    assert steps[0].intercept == 0.0 and steps[1].intercept == pytest.approx(0.5704)
    assert steps[0].ssr == pytest.approx(1.08 ** 2 + 0.428 ** 2 + 1.344 ** 2)
    # each step shrinks: the derivative is multiplied by 1 - 2 * 3 * 0.1 = 0.4
    np.testing.assert_allclose(np.array(derivatives[1:]) / derivatives[:-1], 0.4, atol=1e-12)


def test_intercept_example_against_the_notes():
    steps = gd.intercept_descent(**gd.NOTES_EXAMPLE, steps=6)
    rounded = [round(s.new_intercept, 2) for s in steps]
    # the notes agree on steps 1-3, 5, 6; step 4 is 0.9263, which rounds to 0.93, the notes print 0.92
    assert rounded == [0.57, 0.8, 0.89, 0.93, 0.94, 0.95]
    assert [r for r, n in zip(rounded, gd.NOTES_INTERCEPTS) if r != n] == [0.93]
    assert [round(s.derivative, 1) for s in steps[:3]] == list(gd.NOTES_DERIVATIVES)
    assert round(gd.least_squares_intercept(**XYS), 2) == gd.NOTES_LEAST_SQUARES
    assert gd.least_squares_intercept(**XYS) == pytest.approx(2.852 / 3)
    assert gd.ssr_derivative(gd.least_squares_intercept(**XYS), **XYS) == pytest.approx(0, abs=1e-12)
    long_run = gd.intercept_descent(**gd.NOTES_EXAMPLE, steps=40)
    assert long_run[-1].new_intercept == pytest.approx(gd.least_squares_intercept(**XYS), abs=1e-12)


def test_sum_squared_residuals_vectorised_and_derivative_by_finite_difference():
    grid = np.linspace(-1, 2, 7)
    ssr = gd.sum_squared_residuals(grid, **XYS)
    assert ssr.shape == (7,)
    assert ssr[0] == pytest.approx(gd.sum_squared_residuals(-1.0, **XYS))
    h = 1e-6
    fd = (gd.sum_squared_residuals(0.3 + h, **XYS) - gd.sum_squared_residuals(0.3 - h, **XYS)) / (2 * h)
    assert float(gd.ssr_derivative(0.3, **XYS)) == pytest.approx(float(fd), rel=1e-7)


def test_learning_rate_too_large_diverges():
    # the derivative ratio per step is 1 - 6 * lr: |ratio| > 1 once lr > 1/3
    steps = gd.intercept_descent(**{**gd.NOTES_EXAMPLE, "learning_rate": 0.4}, steps=10)
    assert abs(steps[-1].new_intercept) > 10
    small = gd.intercept_descent(**{**gd.NOTES_EXAMPLE, "learning_rate": 0.001}, steps=10)
    assert small[-1].new_intercept < 0.1


def _line(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, n)
    return x, 1.5 * x - 0.7 + rng.normal(scale=0.1, size=n)


def test_least_squares_line_matches_polyfit():
    x, y = _line()
    w, b = gd.least_squares_line(x, y)
    np.testing.assert_allclose([w, b], np.polyfit(x, y, 1), atol=1e-12)
    assert gd.least_squares_line([0, 1, 2], [1, 3, 5]) == (2.0, 1.0)


@pytest.mark.parametrize("method,kwargs,updates_per_epoch", [
    ("batch", {}, 1), ("stochastic", {}, 64), ("minibatch", {"batch_size": 16}, 4)])
def test_methods_reach_least_squares(method, kwargs, updates_per_epoch):
    x, y = _line()
    lr = 0.2 if method == "batch" else 0.02
    h = gd.gradient_descent(x, y, method, learning_rate=lr, epochs=60, **kwargs)
    assert h.updates == 60 * updates_per_epoch
    assert h.params.shape == (h.updates + 1, 2) and h.loss.shape == h.time.shape == (h.updates + 1,)
    assert np.all(np.diff(h.time) >= 0) and h.time[0] == 0.0
    assert h.epoch[-1] == 60 and h.epoch[0] == 0
    w, b = gd.least_squares_line(x, y)
    np.testing.assert_allclose(h.params[-1], [w, b], atol=0.05 if method != "batch" else 1e-6)
    assert h.loss[-1] < 0.02 and not h.diverged


def test_batch_update_is_exact_gradient_step():
    x, y = _line(8)
    h = gd.gradient_descent(x, y, "batch", learning_rate=0.1, epochs=1, w0=0.5, b0=0.2)
    e = 0.5 * x + 0.2 - y
    np.testing.assert_allclose(h.params[1], [0.5 - 0.1 * 2 * np.mean(e * x), 0.2 - 0.1 * 2 * np.mean(e)])
    assert h.loss[0] == pytest.approx(np.mean(e ** 2))


def test_divergence_recorded_not_raised():
    x, y = _line()
    h = gd.gradient_descent(x, y, "batch", learning_rate=5.0, epochs=2000)
    assert h.diverged
    assert h.updates < 2000  # stopped once the parameters overflowed


def test_same_seed_same_path():
    x, y = _line()
    a = gd.gradient_descent(x, y, "stochastic", learning_rate=0.01, epochs=2, seed=3)
    b = gd.gradient_descent(x, y, "stochastic", learning_rate=0.01, epochs=2, seed=3)
    c = gd.gradient_descent(x, y, "stochastic", learning_rate=0.01, epochs=2, seed=4)
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.params, c.params)


def test_bad_arguments_rejected():
    x, y = _line(8)
    with pytest.raises(ValueError, match="method='adam'"):
        gd.gradient_descent(x, y, "adam")
    with pytest.raises(ValueError, match="learning_rate=0"):
        gd.gradient_descent(x, y, learning_rate=0)
    with pytest.raises(ValueError, match="epochs=1.5"):
        gd.gradient_descent(x, y, epochs=1.5)
    with pytest.raises(ValueError, match="batch_size=0"):
        gd.gradient_descent(x, y, "minibatch", batch_size=0)
    with pytest.raises(ValueError, match="only used by method='minibatch'"):
        gd.gradient_descent(x, y, "batch", batch_size=4)
    with pytest.raises(ValueError, match="equal length"):
        gd.gradient_descent(x, y[:-1])
    with pytest.raises(ValueError, match="finite"):
        gd.least_squares_intercept([1.0, np.inf], [1.0, 2.0], 0.5)
    with pytest.raises(ValueError, match="distinct"):
        gd.least_squares_line([1.0, 1.0], [0.0, 2.0])
    with pytest.raises(ValueError, match="steps=0"):
        gd.intercept_descent(**gd.NOTES_EXAMPLE, steps=0)
    with pytest.raises(ValueError, match="learning_rate=-0.1"):
        gd.intercept_descent(x=[1.0], y=[2.0], slope=0.0, learning_rate=-0.1)


@pytest.mark.parametrize("loss", gd.LINE_LOSSES)
def test_line_loss_and_gradient_agree_with_losses_module(loss):
    from dlcourse_keras.numpy_ref import losses as L
    x, y = _line(20, seed=7)
    w, b = 0.4, 0.3
    fn, grad_fn = L.get(loss)
    pred = (w * x + b)[:, None]
    assert gd.line_loss(w, b, x, y, loss) == pytest.approx(float(np.mean(fn(y[:, None], pred))))
    g = grad_fn(y[:, None], pred)[:, 0]  # d(mean loss) / d(prediction)
    np.testing.assert_allclose(gd.line_loss_grad(w, b, x, y, loss), [np.sum(g * x), np.sum(g)], atol=1e-12)


def test_robust_losses_resist_outliers():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, 60)
    y = 2.0 * x + 1.0 + rng.normal(scale=0.3, size=60)
    y[x > 8] += 25.0  # outliers at large x tilt the MSE line
    slopes = {}
    for loss in gd.LINE_LOSSES:
        h = gd.gradient_descent(x, y, "batch", learning_rate=0.02, epochs=4000, loss=loss, decay=1e-3)
        slopes[loss] = h.params[-1, 0]
    assert slopes["mse"] == pytest.approx(gd.least_squares_line(x, y)[0], abs=1e-2)
    assert abs(slopes["mae"] - 2) < abs(slopes["mse"] - 2) and abs(slopes["huber"] - 2) < abs(slopes["mse"] - 2)


def test_line_loss_bad_arguments():
    with pytest.raises(ValueError, match="loss='hinge'"):
        gd.line_loss(1.0, 0.0, [1.0], [1.0], loss="hinge")
    with pytest.raises(ValueError, match="delta=0"):
        gd.gradient_descent([1.0, 2.0], [1.0, 2.0], loss="huber", delta=0)
    with pytest.raises(ValueError, match="decay=-1"):
        gd.gradient_descent([1.0, 2.0], [1.0, 2.0], decay=-1)
