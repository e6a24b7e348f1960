"""NumPy scalars work wherever Python numbers do, and error messages show them as plain numbers.

A value read from an array (``np.int64(3)``, ``np.float32(0.9)``) is what a student passes
after ``units = sizes[i]`` or ``beta = betas[k]``. Every constructor and helper of the
library's units I-IV takes it, and a bad one is named as ``units=0``, not
``units=np.int64(0)``.
"""

import json

import keras
import numpy as np
import pytest

from dlcourse_keras import distribute, initializers, schedules, seeding
from dlcourse_keras.callbacks import (DeadReLUMonitor, GradientNormHistory, LiveLossPlot,
                                      TeachingEarlyStopping, dead_fraction, relu_outputs)
from dlcourse_keras.layers import (InceptionModule, InvertedDropout, ResidualBlock, TeachingBatchNorm,
                                   TeachingConv2D, inception_parameter_count, receptive_field,
                                   residual_parameter_count)
from dlcourse_keras.models import GradientNormModel, build_transfer_model, unfreeze_blocks
from dlcourse_keras.numpy_ref import activations, backprop_example, conv, ewma, losses, mlp, optimizers
from dlcourse_keras.numpy_ref import gradient_descent as gd
from dlcourse_keras.numpy_ref import perceptron, pooling, toy_cnn
from dlcourse_keras.validation import check_bool, check_int, check_number

i64, f32, f64 = np.int64, np.float32, np.float64
X4 = np.arange(16.0).reshape(4, 4)
IMAGES = np.random.default_rng(0).normal(size=(2, 5, 5, 1))
XY = dict(x=[0.0, 1.0, 2.0, 3.0], y=[1.0, 3.0, 5.0, 7.0])


def _base():
    inp = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(2, 3, padding="same", name="block1_conv1")(inp)
    x = keras.layers.Conv2D(2, 3, padding="same", name="block2_conv1")(x)
    return keras.Model(inp, x, name="base")


def _relu_model():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu", name="hidden")])


def _gradient_norm_model(record_layers):
    inp = keras.Input((2,))
    return GradientNormModel(inp, keras.layers.Dense(1)(inp), record_layers=record_layers)


def _distributed(epochs, verbose):
    import tensorflow as tf

    def build():
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        return model

    data = tf.data.Dataset.from_tensor_slices((np.ones((4, 2), "float32"), np.ones((4, 1), "float32")))
    return distribute.distributed_fit(build, data.batch(2), epochs=epochs, verbose=verbose)


# name: (call with the value, a good NumPy value, a bad NumPy value, the argument's name in messages)
CASES = {
    # layers
    "TeachingConv2D.filters": (lambda v: TeachingConv2D(v, 3), i64(4), i64(0), "filters"),
    "TeachingConv2D.kernel_size": (lambda v: TeachingConv2D(2, v), i64(3), i64(0), "kernel_size"),
    "TeachingConv2D.kernel_pair": (lambda v: TeachingConv2D(2, (v, v)), i64(3), i64(-1), "kernel_size"),
    "TeachingConv2D.strides": (lambda v: TeachingConv2D(2, 3, strides=v), i64(2), i64(0), "strides"),
    "TeachingConv2D.use_bias": (lambda v: TeachingConv2D(2, 3, use_bias=v), np.False_, i64(1), "use_bias"),
    "TeachingBatchNorm.axis": (lambda v: TeachingBatchNorm(axis=v), i64(-1), f64(1.0), "axis"),
    "TeachingBatchNorm.momentum": (lambda v: TeachingBatchNorm(momentum=v), f32(0.9), f32(1.0), "momentum"),
    "TeachingBatchNorm.epsilon": (lambda v: TeachingBatchNorm(epsilon=v), f64(1e-3), f64(0.0), "epsilon"),
    "TeachingBatchNorm.center": (lambda v: TeachingBatchNorm(center=v), np.True_, f32(1.0), "center"),
    "InvertedDropout.rate": (lambda v: InvertedDropout(v), f32(0.25), f32(1.0), "rate"),
    "InvertedDropout.seed": (lambda v: InvertedDropout(0.5, seed=v), i64(3), f64(3.0), "seed"),
    "ResidualBlock.filters": (lambda v: ResidualBlock(v), i64(4), i64(0), "filters"),
    "ResidualBlock.kernel_size": (lambda v: ResidualBlock(4, kernel_size=v), i64(5), i64(4), "kernel_size"),
    "ResidualBlock.strides": (lambda v: ResidualBlock(4, strides=v), i64(2), i64(0), "strides"),
    "ResidualBlock.use_batch_norm": (lambda v: ResidualBlock(4, use_batch_norm=v), np.False_, i64(0),
                                     "use_batch_norm"),
    "InceptionModule.filters_3x3": (lambda v: InceptionModule(2, 2, v, 2, 2, 2), i64(3), i64(0), "filters_3x3"),
    "inception_parameter_count.channels": (lambda v: inception_parameter_count(v, 1, 1, 1, 1, 1, 1),
                                           i64(3), i64(0), "channels"),
    "residual_parameter_count.filters": (lambda v: residual_parameter_count(3, v), i64(4), i64(-2), "filters"),
    "residual_parameter_count.kernel_size": (lambda v: residual_parameter_count(3, 4, kernel_size=v),
                                             i64(3), i64(2), "kernel_size"),
    "receptive_field.stride": (lambda v: receptive_field([(3, v), (3, 1)]), i64(2), i64(0), "stride"),
    # models
    "build_transfer_model.num_classes": (lambda v: build_transfer_model(_base(), v), i64(3), i64(1),
                                         "num_classes"),
    "build_transfer_model.dropout": (lambda v: build_transfer_model(_base(), 3, dropout=v), f32(0.2),
                                     f32(1.0), "dropout"),
    "build_transfer_model.hidden_units": (lambda v: build_transfer_model(_base(), 3, hidden_units=(v,)),
                                          i64(4), i64(0), "hidden_units"),
    "unfreeze_blocks.blocks": (lambda v: unfreeze_blocks(_base(), v), i64(1), i64(3), "blocks"),
    "unfreeze_blocks.keep_batch_norm_frozen": (lambda v: unfreeze_blocks(_base(), 1, keep_batch_norm_frozen=v),
                                               np.True_, i64(1), "keep_batch_norm_frozen"),
    "GradientNormModel.record_layers": (_gradient_norm_model, np.False_, i64(1), "record_layers"),
    # callbacks
    "TeachingEarlyStopping.patience": (lambda v: TeachingEarlyStopping(patience=v), i64(2), i64(-1), "patience"),
    "TeachingEarlyStopping.min_delta": (lambda v: TeachingEarlyStopping(min_delta=v), f32(0.01), f32(-1),
                                        "min_delta"),
    "TeachingEarlyStopping.baseline": (lambda v: TeachingEarlyStopping(baseline=v), f32(0.5), f32("nan"),
                                       "baseline"),
    "TeachingEarlyStopping.start_from_epoch": (lambda v: TeachingEarlyStopping(start_from_epoch=v), i64(1),
                                               i64(-1), "start_from_epoch"),
    "TeachingEarlyStopping.verbose": (lambda v: TeachingEarlyStopping(verbose=v), i64(1), f64(1.0), "verbose"),
    "TeachingEarlyStopping.restore_best_weights": (lambda v: TeachingEarlyStopping(restore_best_weights=v),
                                                   np.True_, i64(1), "restore_best_weights"),
    "DeadReLUMonitor.threshold": (lambda v: DeadReLUMonitor(X4, threshold=v), f32(0.0), f32("inf"), "threshold"),
    "dead_fraction.threshold": (lambda v: dead_fraction(X4, threshold=v), f64(1.0), f64("nan"), "threshold"),
    "relu_outputs.batch_size": (lambda v: relu_outputs(_relu_model(), X4, batch_size=v), i64(2), i64(0),
                                "batch_size"),
    "LiveLossPlot.every": (lambda v: LiveLossPlot(every=v), i64(2), i64(0), "every"),
    "GradientNormHistory.per_step": (lambda v: GradientNormHistory(per_step=v), np.True_, i64(1), "per_step"),
    # initializers, schedules, seeding, distribution
    "ScaledNormal.scale": (lambda v: initializers.ScaledNormal(scale=v), f32(0.1), f32(0.0), "scale"),
    "HeNormal.seed": (lambda v: initializers.HeNormal(seed=v), i64(3), f64(3.0), "seed"),
    "XavierUniform.seed": (lambda v: initializers.XavierUniform(seed=v), i64(3), f32(0.5), "seed"),
    "LinearWarmup.warmup_steps": (lambda v: schedules.LinearWarmup(v, 0.1), i64(10), i64(0), "warmup_steps"),
    "LinearWarmup.after": (lambda v: schedules.LinearWarmup(10, v), f32(0.1), f32(0.0), "after"),
    "LinearWarmup.initial_lr": (lambda v: schedules.LinearWarmup(10, 0.1, initial_lr=v), f32(0.01),
                                f32(-1), "initial_lr"),
    "seed_everything.seed": (lambda v: seeding.seed_everything(v), i64(3), i64(2**40), "seed"),
    "seed_everything.deterministic_ops": (lambda v: seeding.seed_everything(0, deterministic_ops=v),
                                          np.True_, i64(1), "deterministic_ops"),
    "distributed_fit.epochs": (lambda v: _distributed(v, 0), i64(1), i64(0), "epochs"),
    "distributed_fit.verbose": (lambda v: _distributed(1, v), i64(0), i64(2), "verbose"),
    # NumPy references
    "conv_output_size.n": (lambda v: conv.conv_output_size(v, 3), i64(5), i64(0), "n"),
    "conv_output_size.p": (lambda v: conv.conv_output_size(5, 3, p=v), i64(1), i64(-1), "p"),
    "conv_output_size.s": (lambda v: conv.conv_output_size(5, 3, s=v), i64(2), i64(0), "s"),
    "padding_amounts.padding": (lambda v: conv.padding_amounts(5, 3, 1, v), i64(1), i64(-1), "padding"),
    "conv2d_forward.strides": (lambda v: conv.conv2d_forward(IMAGES, np.ones((3, 3, 1, 1)), strides=v),
                               i64(2), i64(0), "strides"),
    "conv2d_forward.padding": (lambda v: conv.conv2d_forward(IMAGES, np.ones((3, 3, 1, 1)), padding=v),
                               i64(1), i64(-1), "padding"),
    "pool2d_forward.pool_size": (lambda v: pooling.pool2d_forward(IMAGES, pool_size=v), i64(2), i64(0),
                                 "pool_size"),
    "ewma.beta": (lambda v: ewma.ewma([1.0, 2.0], beta=v), f32(0.9), f32(1.0), "beta"),
    "ewma.initial": (lambda v: ewma.ewma([1.0, 2.0], initial=v), f64(1.0), f64("nan"), "initial"),
    "SGD.learning_rate": (lambda v: optimizers.SGD(learning_rate=v), f32(0.1), f32(0.0), "learning_rate"),
    "SGD.momentum": (lambda v: optimizers.SGD(momentum=v), f64(0.9), f64(1.0), "momentum"),
    "SGD.nesterov": (lambda v: optimizers.SGD(momentum=0.9, nesterov=v), np.True_, i64(1), "nesterov"),
    "Adagrad.initial_accumulator_value": (lambda v: optimizers.Adagrad(initial_accumulator_value=v),
                                          f32(0.1), f32(-0.1), "initial_accumulator_value"),
    "RMSprop.rho": (lambda v: optimizers.RMSprop(rho=v), f32(0.9), f32(1.5), "rho"),
    "Adadelta.epsilon": (lambda v: optimizers.Adadelta(epsilon=v), f64(1e-7), f64(0.0), "epsilon"),
    "Adam.beta_2": (lambda v: optimizers.Adam(beta_2=v), f32(0.99), f32(1.0), "beta_2"),
    "clip_by_norm.threshold": (lambda v: optimizers.clip_by_norm(np.ones(3), v), f32(1.0), f32(0.0),
                               "threshold"),
    "clip_by_global_norm.threshold": (lambda v: optimizers.clip_by_global_norm([np.ones(3)], v), f32(1.0),
                                      f32("nan"), "threshold"),
    "run_trajectory.steps": (lambda v: optimizers.run_trajectory(optimizers.SGD(0.1), lambda w: 2 * w,
                                                                 (1.0,), v), i64(3), i64(0), "steps"),
    "gradient_descent.epochs": (lambda v: gd.gradient_descent(**XY, epochs=v), i64(3), i64(0), "epochs"),
    "gradient_descent.batch_size": (lambda v: gd.gradient_descent(**XY, method="minibatch", epochs=2,
                                                                  batch_size=v), i64(2), i64(0), "batch_size"),
    "gradient_descent.learning_rate": (lambda v: gd.gradient_descent(**XY, learning_rate=v, epochs=2),
                                       f32(0.05), f32(0.0), "learning_rate"),
    "gradient_descent.w0": (lambda v: gd.gradient_descent(**XY, epochs=2, w0=v), f32(1.0), f32("inf"), "w0"),
    "gradient_descent.seed": (lambda v: gd.gradient_descent(**XY, method="stochastic", epochs=2, seed=v),
                              i64(1), i64(-1), "seed"),
    "gradient_descent.decay": (lambda v: gd.gradient_descent(**XY, epochs=2, decay=v), f32(0.1), f32(-1),
                               "decay"),
    "intercept_descent.steps": (lambda v: gd.intercept_descent(**gd.NOTES_EXAMPLE, steps=v), i64(2), i64(0),
                                "steps"),
    "intercept_descent.slope": (lambda v: gd.intercept_descent(XY["x"], XY["y"], slope=v), f32(0.64),
                                f32("nan"), "slope"),
    "line_loss.delta": (lambda v: gd.line_loss(1.0, 0.0, [1.0], [2.0], loss="huber", delta=v), f32(1.0),
                        f32(0.0), "delta"),
    "huber.delta": (lambda v: losses.huber([[1.0]], [[0.0]], delta=v), f32(1.0), f32(-1), "delta"),
    "leaky_relu.alpha": (lambda v: activations.leaky_relu([-1.0, 1.0], alpha=v), f32(0.1), f32(-0.1), "alpha"),
    "elu_prime.alpha": (lambda v: activations.elu_prime([-1.0, 1.0], alpha=v), f64(1.0), f64("nan"), "alpha"),
    "Perceptron.learning_rate": (lambda v: perceptron.Perceptron(learning_rate=v), f32(0.1), f32(0.0),
                                 "learning_rate"),
    "Perceptron.max_epochs": (lambda v: perceptron.Perceptron(max_epochs=v), i64(5), i64(0), "max_epochs"),
    "Perceptron.seed": (lambda v: perceptron.Perceptron(seed=v), i64(1), i64(-1), "seed"),
    "perceptron_trick_step.learning_rate": (lambda v: perceptron.perceptron_trick_step([2, 3, 5], [1, 3], 0,
                                                                                      learning_rate=v),
                                            f32(0.01), f32(0.0), "learning_rate"),
    "perceptron_trick_step.label": (lambda v: perceptron.perceptron_trick_step([2, 3, 5], [1, 3], v),
                                    i64(1), i64(2), "label"),
    "MLP.layer_sizes": (lambda v: mlp.MLP([2, v, 1]), i64(3), i64(0), "layer_sizes"),
    "MLP.seed": (lambda v: mlp.MLP([2, 3, 1], seed=v), i64(1), f64(1.0), "seed"),
    "MLP.fit.epochs": (lambda v: mlp.MLP([2, 1]).fit(X4[:, :2], X4[:, :1], epochs=v), i64(2), i64(-1),
                       "epochs"),
    "MLP.fit.learning_rate": (lambda v: mlp.MLP([2, 1]).fit(X4[:, :2], X4[:, :1], epochs=1, learning_rate=v),
                              f32(0.01), f32(0.0), "learning_rate"),
    "MLP.fit.batch_size": (lambda v: mlp.MLP([2, 1]).fit(X4[:, :2], X4[:, :1], epochs=1, batch_size=v),
                           i64(2), i64(0), "batch_size"),
    "count_parameters.layer_sizes": (lambda v: mlp.count_parameters([v, 2]), i64(3), i64(0), "layer_sizes"),
    "gradient_check.epsilon": (lambda v: mlp.gradient_check(mlp.MLP([2, 1]), X4[:2, :2], X4[:2, :1], epsilon=v),
                               f64(1e-6), f64(1.0), "epsilon"),
    "solve_example.learning_rate": (lambda v: backprop_example.solve_example(learning_rate=v), f32(0.8),
                                    f32(0.0), "learning_rate"),
    "solve_example.decimals": (lambda v: backprop_example.solve_example(decimals=v), i64(3), i64(-1),
                               "decimals"),
    "solve_example.inputs": (lambda v: backprop_example.solve_example(inputs={1: v, 2: 1.0, 3: 0.0, 4: 1.0}),
                             f64(1.0), f64("nan"), "inputs"),
    "worked_steps.target": (lambda v: backprop_example.worked_steps(target=v), f32(1.0), f32("inf"), "target"),
    "make_edge_images.n": (lambda v: toy_cnn.make_edge_images(v), i64(4), i64(0), "n"),
    "train_toy_cnn.steps": (lambda v: toy_cnn.train_toy_cnn(*toy_cnn.make_edge_images(4), toy_cnn.init_toy_cnn(),
                                                            steps=v), i64(2), i64(0), "steps"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_numpy_scalars_are_accepted(name):
    call, good, _, _ = CASES[name]
    call(good)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_numpy_scalars_are_named_as_plain_numbers(name):
    call, _, bad, arg = CASES[name]
    with pytest.raises(ValueError) as caught:
        call(bad)
    message = str(caught.value)
    assert arg in message and "np." not in message, message
    assert "=" + str(bad) in message, (str(bad), message)  # str(np.float32(0.1)) is "0.1"



def test_numpy_scalars_are_stored_as_plain_python_numbers():
    # a config with np.int64 in it is not JSON; the stored values are Python's own
    layers = [TeachingConv2D(i64(4), (i64(3), i64(3)), strides=i64(2)), ResidualBlock(i64(4), strides=i64(2)),
              InceptionModule(*[i64(2)] * 6), TeachingBatchNorm(momentum=f32(0.9)), InvertedDropout(f32(0.5), i64(1))]
    for layer in layers:
        json.dumps(layer.get_config())
    json.dumps(initializers.ScaledNormal(f32(0.1), seed=i64(2)).get_config())
    json.dumps(schedules.LinearWarmup(i64(5), f32(0.1), initial_lr=f32(0.0)).get_config())
    assert type(TeachingConv2D(i64(4), 3).filters) is int
    assert type(residual_parameter_count(i64(3), i64(4))) is int
    assert type(inception_parameter_count(i64(3), *[i64(1)] * 6)) is int
    assert type(conv.conv_output_size(i64(5), i64(3))) is int
    assert type(receptive_field([(i64(3), i64(2))])) is int
    stop = TeachingEarlyStopping(patience=i64(2), min_delta=f32(0.5))
    assert type(stop.patience) is int and type(stop.min_delta) is float


def test_shared_checks_show_numpy_scalars_plainly():
    for call, text in [(lambda: check_int("units", i64(0), low=1), "units=0 must be an integer >= 1."),
                       (lambda: check_number("beta", f32(1.5), low=0, high=1, high_open=True),
                        "beta=1.5 must be a finite number in [0, 1)."),
                       (lambda: check_number("rate", f64("nan")), "rate=nan must be a finite number"),
                       (lambda: check_bool("flag", i64(1)), "flag=1 must be True or False."),
                       (lambda: check_int("seed", 2**40, low=0, high=2**32 - 1),
                        "seed=1099511627776 must be an integer in [0, 4294967295]."),
                       (lambda: check_int("n", np.True_), "n=True must be an integer.")]:
        with pytest.raises(ValueError) as caught:
            call()
        assert str(caught.value).startswith(text), str(caught.value)
