"""``LayerExercise``: a Keras layer or model written by the student, judged against its Keras twin.

Keras is imported only when such an exercise is checked.
"""

import inspect

import numpy as np

from ..source import show_source
from .compare import NotPassed, compare_values
from .core import Exercise


def _to_numpy(outputs):
    import keras

    return [keras.ops.convert_to_numpy(o) for o in keras.tree.flatten(outputs)]


def _match_weights(student, twin):
    """For each twin weight, the index of a student weight of the same shape (first unused), or None."""
    shapes = [tuple(w.shape) for w in student]
    used, order = set(), []
    for w in twin:
        k = next((i for i, s in enumerate(shapes) if s == tuple(w.shape) and i not in used), None)
        if k is None:
            return None
        used.add(k)
        order.append(k)
    return order if len(used) == len(shapes) else None


class LayerExercise(Exercise):
    """The student writes a Keras layer or model; it must behave like its Keras twin.

    The answer may be a layer class (built with ``init_kwargs``), a layer or model instance,
    or a function ``build(**init_kwargs)`` that returns one. The check calls it and the twin
    on the same random input and compares output shapes and parameter counts, then copies the
    twin's weights into the answer (matched by shape, in order) and compares the outputs.

    Args:
        title: the task in a few words.
        twin: ``twin(**init_kwargs)`` -> the reference Keras layer or model.
        hints: at least one hint.
        init_kwargs: constructor arguments for both. Default ``{}``.
        input_shape: the input's shape, batch included. Default ``(4, 3)``.
        inputs: ``inputs(rng)`` -> an array (or list of arrays) to call both on; overrides
            ``input_shape``. Default None.
        prose: one line shown with the solution. Default ``""``.
        reference: what ``solution()`` shows (a class or function). Default ``twin``.
        copy_weights: compare outputs after copying the twin's weights. Default True.
        contract: also run :func:`dlcourse_keras.testing.run_layer_test` on a class answer
            (which must then be registered under the ``"dlcourse_keras"`` package).
            Default False.
        contract_kwargs: extra arguments for ``run_layer_test``. Default none.
        rtol, atol: tolerances of the output comparison. Defaults 1e-5 and 1e-5.
        seed: see :class:`Exercise`. Default 0.
    """

    kind = "layer"

    def __init__(self, title, twin, hints, init_kwargs=None, input_shape=(4, 3), inputs=None, prose="",
                 reference=None, copy_weights=True, contract=False, contract_kwargs=None,
                 rtol=1e-5, atol=1e-5, seed=0):
        super().__init__(title, hints, prose, seed)
        if not callable(twin):
            raise ValueError(f"twin={twin!r} must be callable (it builds the Keras twin).")
        if inputs is not None and not callable(inputs):
            raise ValueError(f"inputs={inputs!r} must be callable or None.")
        self.twin, self.inputs = twin, inputs
        self.init_kwargs = dict(init_kwargs or {})
        self.input_shape = tuple(input_shape)
        self.reference = reference if reference is not None else twin
        self.copy_weights, self.contract = bool(copy_weights), bool(contract)
        self.contract_kwargs = dict(contract_kwargs or {})
        self.rtol, self.atol = float(rtol), float(atol)

    def _build(self, answer):
        import keras

        if isinstance(answer, keras.layers.Layer):
            return answer
        if not callable(answer):
            raise NotPassed(f"the answer should be a Keras layer, a layer class or a function that "
                            f"builds one; got {type(answer).__name__}.")
        what = "your layer's constructor" if inspect.isclass(answer) else "your function"
        built = self.call_student(lambda: answer(**self.init_kwargs), what=what)
        if not isinstance(built, keras.layers.Layer):
            raise NotPassed(f"{what} gave a {type(built).__name__}, not a Keras layer or model.")
        return built

    def _check(self, answer):
        import keras

        layer = self._build(answer)
        noun = "model" if isinstance(layer, keras.Model) else "layer"
        rng = self.rng()
        x = self.inputs(rng) if self.inputs is not None else rng.normal(size=self.input_shape).astype("float32")
        twin = self.twin(**self.init_kwargs)
        twin(x)  # builds it; then random weights, so a zero-initialized bias cannot hide a mistake
        for variable in twin.weights:
            if "float" not in str(variable.dtype):
                continue
            value = rng.normal(scale=0.5, size=tuple(variable.shape))
            if "variance" in variable.name:  # batch norm: a variance must stay positive
                value = np.abs(value) + 0.5
            variable.assign(value.astype(variable.dtype))
        expected = _to_numpy(twin(x))
        actual = _to_numpy(self.call_student(layer, x, what=f"calling your {noun}"))
        if len(actual) != len(expected):
            raise NotPassed(f"your {noun} returns {len(actual)} output(s); it should return {len(expected)}.")
        for a, e in zip(actual, expected):
            if a.shape != e.shape:
                raise NotPassed(f"your {noun}'s output has shape {a.shape}; expected shape {e.shape}.")
        n_student, n_twin = layer.count_params(), twin.count_params()
        if n_student != n_twin:
            raise NotPassed(f"your {noun} has {n_student:,} parameters, which is not the number the task "
                            "needs: check the shape of each weight and whether a bias is missing or extra.")
        if self.copy_weights:
            order = _match_weights(layer.weights, twin.weights)
            if order is None:
                shapes = sorted(tuple(w.shape) for w in layer.weights)
                raise NotPassed(f"your {noun}'s weights have shapes {shapes}, which do not pair up with "
                                "the reference's weights.")
            values = [None] * len(order)
            for w, k in zip(twin.weights, order):
                values[k] = np.asarray(w.numpy() if hasattr(w, "numpy") else w)
            for variable, value in zip(layer.weights, values):
                variable.assign(value)
            actual = _to_numpy(self.call_student(layer, x, what=f"calling your {noun}"))
            for a, e in zip(actual, expected):
                message = compare_values(a, e, f"with the reference's weights copied in, your {noun}'s output",
                                         self.rtol, self.atol)
                if message:
                    raise NotPassed(message)
        if self.contract and inspect.isclass(answer):
            from ...testing import run_layer_test

            try:
                run_layer_test(answer, self.init_kwargs, input_shape=self.input_shape, **self.contract_kwargs)
            except Exception as exc:  # noqa: BLE001 (any breach of the contract)
                raise NotPassed(f"the layer contract check failed: {type(exc).__name__}: {exc}") from None
        return None

    def _solution_body(self):
        return show_source(self.reference)
