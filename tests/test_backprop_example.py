"""Tests for the slides' solved backpropagation example: exact values, the notes' numbers, errata."""

import numpy as np
import pytest
import tensorflow as tf

from dlcourse_keras.numpy_ref import backprop_example as bx
from dlcourse_keras.numpy_ref.mlp import MLP


def test_correct_values_pinned():
    r = bx.solve_example()
    assert r.net_inputs == pytest.approx({5: 0.4, 6: 1.0, 7: -0.333394}, abs=1e-5)
    assert r.outputs[5] == pytest.approx(0.598688, abs=1e-6)
    assert r.outputs[6] == pytest.approx(0.731059, abs=1e-6)
    assert r.outputs[7] == pytest.approx(0.417415, abs=1e-6)
    assert r.errors[7] == pytest.approx(0.141673, abs=1e-6)
    assert r.errors[6] == pytest.approx(0.005571, abs=1e-6)
    assert r.errors[5] == pytest.approx(-0.010212, abs=1e-6)
    expected_w = {"w15": 0.291831, "w16": 0.104457, "w25": -0.208169, "w26": 0.404457, "w35": 0.2,
                  "w36": -0.3, "w45": 0.091831, "w46": 0.404457, "w57": -0.232146, "w67": 0.282857}
    assert r.new_weights == pytest.approx(expected_w, abs=1e-6)
    assert r.new_biases == pytest.approx({"theta5": 0.191831, "theta6": 0.104457, "theta7": -0.186662},
                                         abs=1e-6)
    assert r.new_net_inputs == pytest.approx({5: 0.367323, 6: 1.017827, 7: -0.116044}, abs=1e-6)
    assert r.new_outputs[7] == pytest.approx(0.471022, abs=1e-6)
    assert r.error_before == pytest.approx(0.582585, abs=1e-6)
    assert r.error_after == pytest.approx(0.528978, abs=1e-6)
    assert r.error_reduction == pytest.approx(0.053607, abs=1e-6)
    assert r.error_after < r.error_before


def test_notes_numbers_reproduced_with_their_slip_and_rounding():
    r = bx.solve_example(slip=True, decimals=3)
    rows = bx.compare_with_notes(r)
    disagree = {name for name, _, _, ok in rows if not ok}
    # Only the copy slip in I7_new, the Err5 rounding slip, and O6_new (printed with 4 decimals).
    assert disagree == {"I7_new", "Err5", "O6_new"}
    exact_slip = bx.solve_example(slip=True)
    assert exact_slip.new_net_inputs[7] == pytest.approx(-0.1034, abs=1e-4)  # what e^0.1034 uses
    assert exact_slip.new_outputs[6] == pytest.approx(0.7692, abs=1e-4)
    assert exact_slip.new_outputs[7] == pytest.approx(0.474, abs=1e-3)
    assert exact_slip.errors[5] == pytest.approx(-0.01019, abs=1e-5)
    assert 0.599 * (1 - 0.599) * 0.141 * -0.3 == pytest.approx(-0.01016, abs=1e-5)  # rounds to -0.0102


def test_without_slip_notes_disagree_from_I6_on():
    rows = {name: ok for name, _, _, ok in bx.compare_with_notes(bx.solve_example())}
    assert rows["I5"] and rows["O5"] and rows["w15"] and rows["w57"]
    assert not rows["I6"] and not rows["O6"] and not rows["O7"] and not rows["w67"]
    assert len(bx.ERRATA) == 4


def test_update_equals_gradient_descent_on_half_squared_error():
    """Err_j = -dL/dI_j for L = (T - O7)^2 / 2, checked with GradientTape."""
    k1, b1, k2, b2 = [tf.Variable(a) for a in bx.as_keras_weights()]
    x = tf.constant([[1.0, 1.0, 0.0, 1.0]], dtype=tf.float64)
    with tf.GradientTape() as tape:
        o7 = tf.sigmoid(tf.sigmoid(x @ k1 + b1) @ k2 + b2)
        loss = 0.5 * tf.reduce_sum((1.0 - o7) ** 2)
    grads = tape.gradient(loss, [k1, b1, k2, b2])
    stepped = [v.numpy() - 0.8 * g.numpy() for v, g in zip([k1, b1, k2, b2], grads)]
    r = bx.solve_example()
    for ours, theirs in zip(bx.as_keras_weights(r.new_weights, r.new_biases), stepped):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_matches_numpy_mlp_one_step():
    net = MLP([4, 2, 1], "sigmoid", loss="mse")
    net.set_weights(bx.as_keras_weights())
    x = np.array([[1.0, 1.0, 0.0, 1.0]])
    assert net.predict(x)[0, 0] == pytest.approx(bx.solve_example().outputs[7])
    net.fit(x, [[1.0]], epochs=1, learning_rate=0.4)  # MSE gradient is twice that of (T-O)^2/2
    r = bx.solve_example()
    for ours, theirs in zip(net.get_weights(), bx.as_keras_weights(r.new_weights, r.new_biases)):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_bad_arguments():
    with pytest.raises(ValueError, match="inputs="):
        bx.solve_example(inputs={1: 1.0})
    with pytest.raises(ValueError, match="weights has keys"):
        bx.solve_example(weights={"w15": 0.3})
    with pytest.raises(ValueError, match="biases has keys"):
        bx.solve_example(biases={"theta5": 0.3})
    with pytest.raises(ValueError, match="learning_rate=0"):
        bx.solve_example(learning_rate=0)


def test_worked_steps_substitute_the_computed_numbers():
    import math

    steps = bx.worked_steps()
    flat = bx.solve_example().as_flat_dict()
    names = [s.name for s in steps]
    assert len(names) == len(set(names)) == 6 + 3 + 10 + 3 + 6
    assert set(names) <= set(flat)
    for s in steps:
        assert s.value == flat[s.name], s.name
        # the Python form of the substituted rule reproduces the value
        assert eval(s.expression, {"exp": math.exp, "__builtins__": {}}) == pytest.approx(s.value, abs=1e-12)
        assert s.latex.split(" = ")[0] == s.substituted.split(" = ")[0]
    i6 = steps[names.index("I6")]
    assert "w_{16}" in i6.latex and i6.substituted.startswith("I_6 = 1 \\cdot 0.1 + ")  # not the notes' w15
    text = bx.worked_steps_markdown(steps)
    assert text.count("\n") == len(steps) - 1 and text.count("$$") == 2 * len(steps)
    assert "= 0.4174$$" in text.splitlines()[names.index("O7")]


def test_worked_steps_follow_other_inputs():
    other = bx.worked_steps(inputs={1: 0.0, 2: 1.0, 3: 1.0, 4: 0.5}, target=0.0, learning_rate=0.1)
    r = bx.solve_example(inputs={1: 0.0, 2: 1.0, 3: 1.0, 4: 0.5}, target=0.0, learning_rate=0.1)
    assert [s.value for s in other if s.name.startswith("Err")] == [r.errors[7], r.errors[6], r.errors[5]]
    assert "0.1 \\cdot" in other[[s.name for s in other].index("w57")].substituted


def test_show_worked_steps_renders_maths_and_plain_text():
    steps = bx.worked_steps()
    shown = bx.show_worked_steps(steps)
    assert shown._repr_markdown_() == bx.worked_steps_markdown(steps)
    plain = repr(shown).splitlines()
    assert len(plain) == len(steps) and "\\" not in repr(shown) and "$" not in repr(shown)
    i7_new = plain[[s.name for s in steps].index("I7_new")]
    assert i7_new.startswith("I_7' = O_5' w_57' + O_6' w_67' + θ_7' = ") and i7_new.endswith(
        f"= {steps[[s.name for s in steps].index('I7_new')].value:.4f}")
