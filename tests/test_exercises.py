"""The exercise framework: placeholders, never-raising checks, value-free messages, hashed
choices, rendering, records, hints and solutions, and every kind on known right and wrong answers."""

import doctest
import json
import textwrap

import numpy as np
import pytest

import dlcourse_keras as dl
from dlcourse_keras.course import exercises as exercises_pkg
from dlcourse_keras.course.exercises import (
    ChoiceExercise, ExerciseSet, FunctionExercise, LayerExercise, NotPassed, Result, TrainingExercise,
    ValueExercise, ____, compare_values, is_placeholder)
from dlcourse_keras.course.exercises import compare, core, kinds, placeholders
from dlcourse_keras.course.records import RECORD_ENV
from dlcourse_keras.numpy_ref.perceptron import step


def linear(x, w, b):
    return x @ w + b


def linear_cases(rng):
    return {"x": rng.normal(size=(5, 3)), "w": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}


def make_linear(**kwargs):
    return FunctionExercise("Linear unit", linear, linear_cases, hints=["Multiply, then add.", "x @ w + b"],
                            prose="A matrix product plus the bias.", **kwargs).bind("99", 1)


# --- placeholders -----------------------------------------------------------------------------

def stub_ellipsis(x):
    ...


def stub_pass(x):
    pass


def stub_docstring(x):
    """Return the answer."""


def stub_doc_and_ellipsis(x, w, b):
    """Your code here."""
    ...


def stub_not_implemented(x):
    raise NotImplementedError("write me")


def stub_return_blank(x):
    return ____


def stub_with_blank_inside(x, w, b):
    z = x @ w + ____
    return z


class StubClass:
    """A layer to write."""

    def __init__(self, units):
        ...

    def call(self, x):
        pass


class RealClass:
    def __init__(self, units):
        self.units = units


def real_answer(x):
    return x[..., 0]  # an Ellipsis used as an index is code, not a placeholder


@pytest.mark.parametrize("answer", [..., ____, None, stub_ellipsis, stub_pass, stub_docstring,
                                    stub_doc_and_ellipsis, stub_not_implemented, stub_return_blank,
                                    stub_with_blank_inside, StubClass, (1.0, ____), [None, 2], {"w": ...},
                                    lambda x: ...])
def test_placeholders_are_not_attempted(answer):
    assert is_placeholder(answer)
    result = make_linear().check(answer)
    assert result.status == "not attempted" and not result
    assert "hint()" in result.message


@pytest.mark.parametrize("answer", [real_answer, RealClass, 0, 0.0, "", np.zeros(3), (1, 2), lambda x: x + 1,
                                    np.array([None]), step])
def test_answers_are_not_placeholders(answer):
    assert not is_placeholder(answer)


def test_no_argument_is_not_attempted_and_the_blank_prints_as_a_blank():
    assert make_linear().check().status == "not attempted"
    assert repr(____) == "____" and type(____)() is ____


def test_placeholder_without_source_falls_back_to_the_code_object():
    namespace = {}
    exec(textwrap.dedent("""
        def empty(x, w, b):
            ...
        def documented(x):
            '''doc'''
        def filled(x, w, b):
            return x @ w + b
        def constant(x):
            return 5
        class Empty:
            def call(self, x):
                pass
    """), namespace)  # exec: inspect.getsource has nothing to read
    assert is_placeholder(namespace["empty"]) and is_placeholder(namespace["documented"])
    assert is_placeholder(namespace["Empty"])
    assert not is_placeholder(namespace["filled"]) and not is_placeholder(namespace["constant"])
    assert make_linear().check(namespace["filled"]).passed


# --- checks never raise --------------------------------------------------------------------------

def test_a_raising_answer_is_not_passed_and_check_does_not_raise():
    def broken(x, w, b):
        raise ValueError("shapes do not align")

    result = make_linear().check(broken)
    assert result.status == "failed" and not result
    assert "your function raised ValueError: shapes do not align" in result.message
    assert "not passed" in str(result)


@pytest.mark.parametrize("answer", [42, "x @ w + b", np.ones(3), object(), lambda x, w, b: "text",
                                    lambda x, w, b: [[1, 2], [3]], lambda x, w, b: object()])
def test_odd_answers_fail_with_a_message(answer):
    result = make_linear().check(answer)
    assert result.status == "failed" and result.message


def test_a_broken_checker_is_reported_not_raised():
    def bad_cases(rng):
        raise RuntimeError("the case generator broke")

    ex = FunctionExercise("Broken", linear, bad_cases, hints=["h"]).bind("99", 1)
    result = ex.check(lambda x, w, b: x)
    assert result.status == "failed" and "could not be checked: RuntimeError" in result.message


def test_the_answer_must_not_change_its_arguments():
    def in_place(x, w, b):
        x += 1
        return (x - 1) @ w + b

    result = make_linear().check(in_place)
    assert result.status == "failed" and "changed its argument `x` in place" in result.message
    assert make_linear(allow_mutation=True).check(in_place).passed


# --- messages describe the difference, never the expected values --------------------------------

def _assert_hides(message, expected):
    flat = np.asarray(expected, dtype=float).ravel()
    for value in flat[:4]:
        for text in (repr(float(value)), f"{value:.3f}", f"{value:.2f}", str(np.round(value, 4))):
            assert text not in message, (text, message)


def test_array_messages_give_count_and_first_index():
    expected = np.arange(1.0, 9.0).reshape(4, 2) * 1.37
    actual = expected.copy()
    actual[2, 1] += 5
    actual[3, 0] -= 2
    message = compare_values(actual, expected)
    assert message == "the result: 2 of 8 entries differ, first at [2, 1]."
    _assert_hides(message, expected)


def test_shape_dtype_sign_transpose_and_nan_messages():
    expected = np.array([[0.5, 1.25, 2.75], [3.5, 4.25, 5.125]])
    msgs = {
        "shape": compare_values(np.zeros(6), expected),
        "reshape": compare_values(expected.ravel(), expected),
        "transposed": compare_values(expected.T, expected),
        "sign": compare_values(-expected, expected),
        "dtype": compare_values(np.floor(expected).astype(int), expected),
        "nan": compare_values(np.where(expected > 3, np.nan, expected), expected),
        "scalar": compare_values(3.0, 2.5),
        "text": compare_values("two", 2.5),
        "scalar_shape": compare_values(np.ones(2), 2.5),
    }
    assert "has the wrong shape: it has shape (6,); expected shape (2, 3)" in msgs["shape"]
    assert "right numbers in the wrong shape" in msgs["reshape"]
    assert "looks transposed" in msgs["transposed"]
    assert "wrong sign" in msgs["sign"]
    assert "holds integers (int64)" in msgs["dtype"] and "entries differ" in msgs["dtype"]
    assert msgs["nan"] == "the result: 3 of 6 entries are not a number (NaN), first at [1, 0]."
    assert msgs["scalar"].startswith("the result is not the right value")
    assert "not a number or an array" in msgs["text"]
    assert "should be a single number" in msgs["scalar_shape"]
    for message in msgs.values():
        _assert_hides(message, expected)
        _assert_hides(message, [2.5])


def test_tuple_results_name_the_wrong_item():
    expected = (np.array([0.25, -0.75]), 0.5)
    assert compare_values((np.array([0.25, -0.75]), 0.5), expected) is None
    message = compare_values((np.array([0.25, -0.75]), 0.0), expected, names=("dL/dw", "dL/db"))
    assert message.startswith("the result (dL/db) is not the right value")
    assert "should be 2 values (dL/dw, dL/db)" in compare_values(np.zeros(2), expected, names=("dL/dw", "dL/db"))
    assert "got 3" in compare_values((1, 2, 3), expected)


def test_function_messages_hide_the_reference_and_name_an_ignored_argument():
    ex = make_linear()
    rng = ex.rng()
    case = linear_cases(rng)
    expected = linear(**case)
    for mutant in (lambda x, w, b: x @ w, lambda x, w, b: x @ w - b, lambda x, w, b: x @ (w * 1.01) + b,
                   lambda x, w, b: (x @ w + b)[:, :1]):
        result = ex.check(mutant)
        assert result.status == "failed"
        _assert_hides(result.message, expected)
    assert "does not change when `b` changes: is it ignored?" in ex.check(lambda x, w, b: x @ w).message

    def no_return(x, w, b):
        z = x @ w + b  # noqa: F841 (forgot to return it)

    assert "returned None" in ex.check(no_return).message


def test_known_mistakes_get_their_own_message():
    ex = make_linear(mistakes=[(lambda x, w, b: x @ w - b, "subtract? the bias is added.")])
    assert ex.check(lambda x, w, b: x @ w - b).message == "subtract? the bias is added."
    assert ex.check(lambda x, w, b: x @ w + 2 * b).message != "subtract? the bias is added."


def test_checks_are_repeatable_and_use_fresh_cases_per_question():
    a, b = make_linear(), make_linear()
    assert np.array_equal(linear_cases(a.rng())["x"], linear_cases(b.rng())["x"])
    other = FunctionExercise("Linear unit", linear, linear_cases, hints=["h"]).bind("99", 2)
    assert not np.array_equal(linear_cases(a.rng())["x"], linear_cases(other.rng())["x"])


# --- ChoiceExercise: only a salted hash --------------------------------------------------------

def test_choice_exercise_stores_only_a_salted_hash():
    digest = ChoiceExercise.digest("test-xor", "c")
    assert digest != ChoiceExercise.digest("other-key", "c")  # salted
    ex = ChoiceExercise("XOR", "test-xor", digest, ["Draw it."], "The answer is (c).",
                        choices={"a": "one line", "b": "two lines", "c": "no line"}).bind("99", 3)
    stored = json.dumps({k: str(v) for k, v in vars(ex).items() if k != "explanation"})
    assert digest in stored and "'c'" not in stored.replace("'c': 'no line'", "")
    assert ex.check("c").passed and ex.check(" (C) ").passed
    wrong = ex.check("a")
    assert wrong.status == "failed" and "c" not in wrong.message.replace("choice", "")
    assert "not one of the choices a, b, c" in ex.check("d").message
    assert ex.check(3).status == "failed"
    assert "(c)" in str(ex.solution())


def test_numeric_choice_rounds_before_hashing():
    digest = ChoiceExercise.digest("test-num", 0.0293, digits=3)
    ex = ChoiceExercise("A number", "test-num", digest, ["Compute it."], "It is 0.029.", digits=3).bind("99", 1)
    assert ex.check(0.02934).passed and ex.check(np.float32(0.029)).passed
    result = ex.check(0.031)
    assert result.status == "failed" and "0.029" not in result.message and "3 decimal places" in result.message
    assert "not a number" in ex.check(float("nan")).message
    assert ChoiceExercise.digest("k", -0.0001, digits=2) == ChoiceExercise.digest("k", 0, digits=2)


@pytest.mark.parametrize("kwargs, match", [
    ({"answer_digest": "abc"}, "sha256"),
    ({"choices": None}, "exactly one"),
    ({"choices": {"a": "only one"}}, "at least two"),
    ({"key": ""}, "key="),
])
def test_choice_exercise_validates_its_arguments(kwargs, match):
    args = dict(title="Q", key="k", answer_digest="0" * 64, hints=["h"], explanation="e",
                choices={"a": "x", "b": "y"})
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        ChoiceExercise(**args)


# --- rendering, hints, solutions ----------------------------------------------------------------

def test_results_render_as_markdown_and_plain_text():
    passed = Result("passed", "", "q1", "Linear unit", "99")
    failed = Result("failed", "the result has shape (3,); expected shape (3, 1).", "q2", "Forward <pass>")
    todo = Result("not attempted", "fill it in", "q3", "Loss")
    assert str(passed) == repr(passed) == "q1 (Linear unit): passed."
    assert str(failed) == "q2 (Forward <pass>): not passed: the result has shape (3,); expected shape (3, 1)."
    assert passed._repr_markdown_() == "\u2705 **q1 (Linear unit): passed**"
    assert failed._repr_markdown_().startswith("\u274c **q2 (Forward &lt;pass&gt;): not passed**: the result")
    assert "not attempted" in todo._repr_markdown_() and str(todo) == "q3 (Loss): not attempted: fill it in"
    assert bool(passed) and not failed and not todo
    with pytest.raises(ValueError, match="status="):
        Result("maybe")


def test_hints_count_and_out_of_range():
    ex = make_linear()
    assert repr(ex.hint()) == "Hint 1 of 2 for q1 (Linear unit) (`hint(2)` for the next): Multiply, then add."
    assert "**Hint 2 of 2 for q1 (Linear unit)**: x @ w + b" == ex.hint(2)._repr_markdown_()
    for bad in (0, 3, "2", 1.5, True):
        assert str(ex.hint(bad)) == "q1 (Linear unit) has 2 hints: use `hint(1)` to `hint(2)`."


def test_solution_shows_the_reference_source_with_prose():
    solution = make_linear().solution()
    assert "A matrix product plus the bias." in repr(solution)
    assert "def linear(x, w, b):" in repr(solution)
    md = solution._repr_markdown_()
    assert md.startswith("**Solution to q1 (Linear unit).** A matrix product") and "```python" in md


@pytest.mark.parametrize("kwargs, match", [
    ({"hints": []}, "hints="), ({"hints": "one string"}, "hints="), ({"hints": ["ok", ""]}, "hints\\[1\\]"),
    ({"title": ""}, "title="), ({"n_cases": 0}, "n_cases="), ({"rtol": float("nan")}, "rtol="),
    ({"reference": 3}, "reference="),
])
def test_exercises_validate_their_arguments(kwargs, match):
    args = dict(title="T", reference=linear, cases=linear_cases, hints=["h"])
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        FunctionExercise(**args)


# --- records ------------------------------------------------------------------------------------

def test_each_check_appends_a_record_when_the_record_file_is_set(tmp_path, monkeypatch):
    path = tmp_path / "records.jsonl"
    monkeypatch.delenv(RECORD_ENV, raising=False)
    ex = make_linear()
    ex.check(linear)
    assert not path.exists()
    monkeypatch.setenv(RECORD_ENV, str(path))
    ex.check(linear)
    ex.check(lambda x, w, b: x @ w)
    ex.check(...)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["status"] for r in lines] == ["passed", "failed", "not attempted"]
    assert all(r["kind"] == "exercise" and r["notebook"] == "99" and r["question"] == "q1"
               and r["title"] == "Linear unit" for r in lines)
    assert "is it ignored" in lines[1]["message"]


def test_an_unwritable_record_file_does_not_break_the_check(tmp_path, monkeypatch):
    monkeypatch.setenv(RECORD_ENV, str(tmp_path / "missing-folder" / "records.jsonl"))
    assert make_linear().check(linear).passed


# --- the set and dl.exercises ---------------------------------------------------------------------

def test_exercise_set_numbers_questions_and_summarises():
    first = FunctionExercise("Linear unit", linear, linear_cases, hints=["h"])
    second = ValueExercise("Parameters", lambda: 3 * 2 + 2, hints=["w and b"])
    ex = ExerciseSet("99", [first, second])
    assert len(ex) == 2 and ex.q2.title == "Parameters" and ex[1] is ex.q1 and ex["q2"] is ex.q2
    assert first.notebook is None  # the module's exercise itself stays unbound
    with pytest.raises(AttributeError, match="q1 to q2"):
        ex.q3
    ex.q1.check(linear)
    ex.q2.check(7)
    text = str(ex.summary())
    assert text.splitlines()[0] == "Notebook 99: 1 of 2 exercises passed"
    assert "passed" in text.splitlines()[1] and "not passed" in text.splitlines()[2]
    assert "| q2 | Parameters | not passed |" in ex.summary()._repr_markdown_()
    assert "q1  Linear unit" in repr(ex) and "`q2` Parameters" in ex._repr_markdown_()


def test_dl_exercises_rejects_unknown_ids_and_notebooks_without_exercises(monkeypatch):
    assert dl.exercises is exercises_pkg.exercises
    with pytest.raises(ValueError, match="unknown"):
        dl.exercises("42")
    with pytest.raises(ValueError, match="notebook_id="):
        dl.exercises(None)
    monkeypatch.setattr(exercises_pkg, "has_exercises", lambda nid: False)
    with pytest.raises(ValueError, match="has no exercises"):
        exercises_pkg.exercises("05")


# --- the other kinds ------------------------------------------------------------------------------

def test_value_exercise_computes_its_reference_at_check_time():
    calls = []

    def reference():
        calls.append(1)
        return np.array([0.5, 1.5])

    ex = ValueExercise("Two numbers", reference, hints=["h"]).bind("99", 1)
    assert not calls
    assert ex.check([0.5, 1.5]).passed and calls
    assert "1 of 2 entries differ, first at [1]" in ex.check([0.5, 2.5]).message
    assert "not a function" in ex.check(reference).message


def _accuracy_of_threshold(returned, data):
    return float(np.mean((data["x"] > returned) == data["y"]))


def _threshold_data(rng):
    x = rng.normal(size=200)
    return {"x": x, "y": x > 0.3}


def _fit_threshold(x, y):
    return float(np.sort(x)[np.argmax([np.mean((x > t) == y) for t in np.sort(x)])])


def test_training_exercise_reaches_a_threshold():
    ex = TrainingExercise("Fit a threshold", _fit_threshold, _threshold_data, _accuracy_of_threshold,
                          threshold=0.95, hints=["Try every x."], budget="one pass").bind("99", 1)
    assert ex.check(_fit_threshold).passed
    result = ex.check(lambda x, y: 2.0)
    assert result.status == "failed" and "needs to be at least 0.95" in result.message
    assert "within one pass" in result.message

    def no_return(x, y):
        t = _fit_threshold(x, y)  # noqa: F841 (forgot to return it)

    assert "returned None" in ex.check(no_return).message
    assert "could not be scored" in ex.check(lambda x, y: "high").message


def test_training_exercise_reports_a_diverged_metric():
    ex = TrainingExercise("Small loss", lambda: 0.1, lambda rng: {}, lambda returned, data: returned,
                          threshold=0.5, goal="min", metric="loss", hints=["h"]).bind("99", 1)
    assert ex.check(lambda: 0.2).passed
    assert ex.check(lambda: float("nan")).message == "the loss is not a number (NaN)."
    assert "at most 0.5" in ex.check(lambda: 0.7).message


def test_layer_exercise_against_a_keras_twin():
    import keras

    class MyDense(keras.layers.Layer):
        def __init__(self, units, use_bias=True):
            super().__init__()
            self.units, self.use_bias = units, use_bias

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units))
            if self.use_bias:
                self.b = self.add_weight(shape=(self.units,), initializer="zeros")

        def call(self, x):
            y = keras.ops.matmul(x, self.w)
            return y + self.b if self.use_bias else y

    class TransposedDense(MyDense):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(self.units, input_shape[-1]))
            self.b = self.add_weight(shape=(self.units,), initializer="zeros")

        def call(self, x):
            return keras.ops.matmul(x, keras.ops.transpose(self.w)) + self.b

    class MinusBias(MyDense):
        def call(self, x):
            return keras.ops.matmul(x, self.w) - self.b

    def twin(units):
        return keras.layers.Dense(units)

    ex = LayerExercise("Dense", twin, hints=["kernel and bias"], init_kwargs={"units": 3},
                       input_shape=(5, 4)).bind("99", 1)
    assert ex.check(MyDense).passed
    assert ex.check(MyDense(3)).passed and ex.check(lambda units: MyDense(units)).passed
    no_bias = ex.check(lambda units: MyDense(units, use_bias=False))
    assert "parameters" in no_bias.message and no_bias.status == "failed"
    assert "do not pair up" in ex.check(TransposedDense).message
    minus = ex.check(MinusBias)
    assert minus.status == "failed" and "entries differ" in minus.message
    assert "not a Keras layer" in ex.check(lambda units: 3).message
    assert "shape" in ex.check(lambda units: MyDense(units + 1)).message


# --- the module docstrings are runnable -----------------------------------------------------------

@pytest.mark.parametrize("module", [core, compare, placeholders, kinds])
def test_docstring_examples_run(module):
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried and not failures


def test_not_passed_carries_its_message():
    assert NotPassed("why").message == "why"


def test_the_blank_is_reachable_as_dl_course_exercises_blank_in_a_fresh_interpreter():
    import subprocess
    import sys

    code = ("import sys, dlcourse_keras as dl\n"
            "blank = dl.course.exercises.____\n"
            "from dlcourse_keras.course.exercises import ____\n"
            "assert blank is ____ and repr(blank) == '____'\n"
            "print('keras' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["False"]  # the exercises do not load Keras until a check needs it


def test_mutation_check_compares_plain_objects_by_their_attributes():
    """A deep copy of an unchanged object is not "changed in place"; a changed attribute is."""
    import copy

    import numpy as np

    from dlcourse_keras.course.exercises.compare import arrays_equal

    class Net:
        def __init__(self):
            self.weights = [np.ones((2, 2))]
            self.rate = 0.1

    net = Net()
    twin = copy.deepcopy(net)
    assert arrays_equal(net, twin)
    twin.weights[0][0, 0] = 5.0
    assert not arrays_equal(net, twin)
    twin = copy.deepcopy(net)
    twin.rate = 0.2
    assert not arrays_equal(net, twin)
