"""Exercises of notebook 04, the Keras MLP case study: scaling with training statistics, a
binary classifier, a regressor in the Functional API, the loss for integer labels, a digits
classifier trained to a target, and which rows ``validation_split`` holds out.

Keras is the reference for the models (each builder below is the Keras twin an answer is
compared with) and scikit-learn's ``StandardScaler`` for the scaling; the training recipe is
the notebook's.
"""

import numpy as np

from .compare import NotPassed
from .kinds import ChoiceExercise, FunctionExercise, LayerExercise, TrainingExercise

# --- q1: scaling with the training set's statistics -----------------------------------------------


def standardize(x_train, x_test):
    """Both parts scaled with the training part's mean and standard deviation (``StandardScaler``)."""
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), scaler.transform(x_test)


def _scaling_cases(rng):
    d = int(rng.integers(2, 6))
    center = rng.uniform(-50.0, 500.0, size=d)  # features on wildly different scales, as in the notebook
    spread = 10.0 ** rng.uniform(-2, 2, size=d)
    return {"x_train": center + spread * rng.normal(size=(int(rng.integers(8, 15)), d)),
            "x_test": center + spread * rng.normal(loc=0.5, size=(int(rng.integers(3, 7)), d))}


def _scale_each_own(x_train, x_test):
    return tuple((x - x.mean(axis=0)) / x.std(axis=0) for x in (x_train, x_test))


def _scale_ddof1(x_train, x_test):
    mean, std = x_train.mean(axis=0), x_train.std(axis=0, ddof=1)
    return (x_train - mean) / std, (x_test - mean) / std


def _scale_pooled(x_train, x_test):
    both = np.vstack([x_train, x_test])
    mean, std = both.mean(axis=0), both.std(axis=0)
    return (x_train - mean) / std, (x_test - mean) / std


def _scale_global(x_train, x_test):
    mean, std = x_train.mean(), x_train.std()
    return (x_train - mean) / std, (x_test - mean) / std


# --- q2: a binary classifier ----------------------------------------------------------------------


def binary_classifier(n_features):
    """The notebook's breast-cancer model: 8 ReLU units, one sigmoid output."""
    import keras

    return keras.Sequential([keras.Input(shape=(n_features,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(1, activation="sigmoid")])


# --- q3: a regressor in the Functional API --------------------------------------------------------


def functional_regressor(n_features):
    """The notebook's diabetes model in the Functional API: 32 ReLU units, one linear output."""
    import keras

    inputs = keras.Input(shape=(n_features,))
    hidden = keras.layers.Dense(32, activation="relu")(inputs)
    outputs = keras.layers.Dense(1)(hidden)
    return keras.Model(inputs, outputs)


# --- q5: a digits classifier that reaches the target ----------------------------------------------

DIGITS_EPOCHS = 8
DIGITS_TARGET = 0.92


def train_digits(x_train, y_train):
    """A 64-64-10 MLP trained for 8 epochs with Adam (learning rate 0.01) on integer labels; returns the model."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(x_train.shape[1],)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=DIGITS_EPOCHS, batch_size=64, verbose=0)
    return model


def _digits_data(rng):
    from sklearn.model_selection import train_test_split

    from ...data import load_tabular

    digits = load_tabular("digits", quiet=True)
    x = (digits.x / 16.0).astype("float32")
    x_train, x_test, y_train, y_test = train_test_split(x, digits.y, test_size=0.25, stratify=digits.y,
                                                        random_state=int(rng.integers(1000)))
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def _test_accuracy(model, data):
    if not callable(getattr(model, "predict", None)):
        raise NotPassed(f"your function should return the trained Keras model; it returned a "
                        f"{type(model).__name__}.")
    probs = np.asarray(model.predict(data["x_test"], verbose=0))
    if probs.shape != (len(data["x_test"]), 10):
        raise NotPassed(f"the model's output has shape {probs.shape} on the test images; a digits classifier "
                        f"gives one row of 10 class probabilities per image, here ({len(data['x_test'])}, 10).")
    return float(np.mean(probs.argmax(axis=1) == data["y_test"]))


EXERCISES = [
    FunctionExercise(
        "Scale with the training statistics", standardize, _scaling_cases,
        hints=["One mean and one standard deviation per feature (column), `axis=0`, computed on `x_train` only.",
               "Apply the same two vectors to both parts: `(x - mean) / std`. NumPy's default `std` (ddof=0) is "
               "what `StandardScaler` uses."],
        prose="Fit the statistics on the training part, apply them to both (StandardScaler).",
        output_names=("scaled x_train", "scaled x_test"),
        mistakes=[(_scale_each_own, "scale the test part with the TRAINING part's mean and standard deviation: a "
                                    "model never sees test statistics (a new patient arrives alone)."),
                  (_scale_pooled, "fit the statistics on the training part only: pooling in the test rows lets "
                                  "the test set leak into the preprocessing."),
                  (_scale_ddof1, "StandardScaler divides by the population standard deviation (ddof=0, NumPy's "
                                 "default), not the sample one (ddof=1)."),
                  (_scale_global, "each feature (column) gets its own mean and standard deviation: use axis=0.")]),
    LayerExercise(
        "A binary classifier", binary_classifier,
        hints=["`keras.Sequential([keras.Input(shape=(n_features,)), ...])` with one hidden `Dense(8, ...)` layer.",
               "Two classes: one output unit whose sigmoid is P(class 1); it pairs with binary cross-entropy."],
        init_kwargs={"n_features": 30}, input_shape=(6, 30),
        prose="8 ReLU units, then one sigmoid unit for P(class 1)."),
    LayerExercise(
        "A regressor in the Functional API", functional_regressor,
        hints=["`inputs = keras.Input(shape=(n_features,))`, then call each layer on the previous tensor: "
               "`hidden = keras.layers.Dense(32, activation='relu')(inputs)`.",
               "A regression output is one unit with no activation (linear), so it can take any value; "
               "`keras.Model(inputs, outputs)` ties the graph together."],
        init_kwargs={"n_features": 10}, input_shape=(6, 10),
        prose="Layers called on tensors, then keras.Model(inputs, outputs); the output is linear."),
    ChoiceExercise(
        "The loss for integer labels", "04-loss-for-integer-labels",
        "3d062ace04a5fbfc53499a48d973ef349cc5afb029d7e145a221c5e33bc7e666",
        hints=["The labels are single integers 0-9, one per image, not one-hot rows.",
               "Two spellings of the same loss exist; which one expects the integer label?"],
        explanation=("**(c)** `sparse_categorical_crossentropy` takes the integer class and the 10 softmax "
                     "probabilities and computes -log p_y; `categorical_crossentropy` computes the same number "
                     "but needs one-hot rows (with integer labels of shape (n,) it fails on the shapes). Binary "
                     "cross-entropy is for one sigmoid unit, MSE for a linear regression output."),
        choices={"a": "binary_crossentropy",
                 "b": "categorical_crossentropy",
                 "c": "sparse_categorical_crossentropy",
                 "d": "mse"},
        prose="Integer labels with a softmax output: the sparse spelling."),
    TrainingExercise(
        "Train a digits classifier", train_digits, _digits_data, _test_accuracy, threshold=DIGITS_TARGET,
        hints=["A `Sequential` model: `Input(shape=(64,))`, a hidden `Dense` with ReLU, `Dense(10, 'softmax')`.",
               "`compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss='sparse_categorical_crossentropy')` "
               f"(the labels are integers), then `fit(x_train, y_train, epochs={DIGITS_EPOCHS}, batch_size=64, "
               "verbose=0)`, and return the model."],
        metric="test accuracy", budget=f"{DIGITS_EPOCHS} epochs", time_limit_s=120,
        answer_keys=("x_train", "y_train"),
        prose=f"The notebook's recipe: one hidden ReLU layer, a softmax output, Adam, {DIGITS_EPOCHS} epochs."),
    ChoiceExercise(
        "What validation_split holds out", "04-validation-split-rows",
        "729a07f007954845ce989bdd923c3342554d1ddc87f1753423305a9c10cfc0e7",
        hints=["Section 3 shuffles the MNIST arrays once before training. Why would that be needed if Keras "
               "shuffled first?",
               "`shuffle=True` shuffles the training batches of each epoch, after the split is made."],
        explanation=("**(c)** Keras cuts the last 10% of the arrays, as given, before any shuffling; "
                     "`shuffle=True` only reorders the remaining 90% for each epoch. With data stored in class "
                     "order the validation set would be one class, which is why the notebook shuffles once up "
                     "front."),
        choices={"a": "a random 10%, drawn anew each epoch",
                 "b": "a random 10%, drawn once before training",
                 "c": "the last 10% of the arrays, as given",
                 "d": "the first 10% of the arrays, as given"},
        prose="The split takes the last rows, unshuffled."),
]
