"""Learning-rate warmup: ramp the learning rate up linearly, then hand over to any schedule."""

import keras
from keras import ops

from .validation import check_int, check_number


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class LinearWarmup(keras.optimizers.schedules.LearningRateSchedule):
    """Linear learning-rate warmup followed by another schedule (or a constant).

    The notes' advice for large batches: start with a small learning rate and raise it
    during the first steps. For ``step < warmup_steps``::

        lr(step) = initial_lr + (after(0) - initial_lr) * step / warmup_steps

    and afterwards ``lr(step) = after(step - warmup_steps)``, so the wrapped schedule
    starts from its own step 0 when the warmup ends and the curve is continuous there.

    When to use which: ``keras.optimizers.schedules.CosineDecay(..., warmup_target=,
    warmup_steps=)`` already warms up before a cosine decay; use it when cosine decay is
    what you want. Use ``LinearWarmup`` to put a warmup in front of any other schedule
    (``ExponentialDecay``, ``PiecewiseConstantDecay``, a custom one) or a constant rate.

    Args:
        warmup_steps: number of optimizer steps of the ramp (int >= 1).
        after: a ``LearningRateSchedule`` or a float > 0 (constant rate) used after the ramp.
        initial_lr: rate at step 0 (float >= 0); default 0.0.
        name: default ``"LinearWarmup"``.

    Example:
        >>> lr = LinearWarmup(100, keras.optimizers.schedules.ExponentialDecay(0.1, 1000, 0.5))
        >>> opt = keras.optimizers.SGD(learning_rate=lr)
        >>> round(float(lr(50)), 4)
        0.05
    """

    def __init__(self, warmup_steps, after, initial_lr=0.0, name="LinearWarmup"):
        super().__init__()
        warmup_steps = check_int("warmup_steps", warmup_steps, low=1)
        if isinstance(after, dict):
            after = keras.saving.deserialize_keras_object(after)
        if isinstance(after, keras.optimizers.schedules.LearningRateSchedule):
            pass
        else:
            try:
                after = check_number("after", after, low=0, low_open=True)
            except ValueError as err:
                raise ValueError(f"{err} A keras LearningRateSchedule is allowed too.") from None
        self.warmup_steps = warmup_steps
        self.after = after
        self.initial_lr = check_number("initial_lr", initial_lr, low=0)
        self.name = name

    def _after(self, step):
        if isinstance(self.after, float):
            return ops.convert_to_tensor(self.after, dtype="float32")
        return ops.cast(self.after(step), "float32")

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warmup = ops.cast(self.warmup_steps, "float32")
        target = self._after(ops.convert_to_tensor(0.0, dtype="float32"))
        ramp = self.initial_lr + (target - self.initial_lr) * (step / warmup)
        # max(.., 0) keeps the wrapped schedule away from negative steps during the ramp.
        following = self._after(ops.maximum(step - warmup, 0.0))
        return ops.where(step < warmup, ramp, following)

    def get_config(self):
        after = self.after
        if not isinstance(after, float):
            after = keras.saving.serialize_keras_object(after)
        return {"warmup_steps": self.warmup_steps, "after": after,
                "initial_lr": self.initial_lr, "name": self.name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("after"), dict):
            config["after"] = keras.saving.deserialize_keras_object(config["after"])
        return cls(**config)
