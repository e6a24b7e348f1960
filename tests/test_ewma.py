"""EWMA worked example from the notes (temperatures 25, 13, 17, 31, 43; beta 0.9)."""

import numpy as np
import pytest

from dlcourse_keras.numpy_ref.ewma import ewma

TEMPS = [25, 13, 17, 31, 43]


def test_zero_start():
    np.testing.assert_allclose(ewma(TEMPS, 0.9), [2.5, 3.55, 4.895, 7.5055, 11.05495])


def test_bias_corrected():
    np.testing.assert_allclose(
        ewma(TEMPS, 0.9, bias_correction=True),
        [25.0, 18.68421053, 18.06273063, 21.82465833, 26.99555566], rtol=1e-8)
    # first corrected value is the first observation exactly
    assert ewma(TEMPS, 0.5, bias_correction=True)[0] == 25.0


def test_first_value_start():
    np.testing.assert_allclose(ewma(TEMPS, 0.9, initial="first"), [25.0, 23.8, 23.12, 23.908, 25.8172])


def test_notes_arithmetic():
    # The notes' V_1 = 0.9*0 + 0.1*13 = 1.3 and V_2 = 0.9*1.3 + 0.1*17 = 2.87 start from the
    # second temperature; the same recurrence reproduces them.
    np.testing.assert_allclose(ewma([13, 17], 0.9), [1.3, 2.87])


def test_beta_zero_is_identity():
    np.testing.assert_allclose(ewma(TEMPS, 0.0), TEMPS)


@pytest.mark.parametrize("kwargs", [dict(beta=1.0), dict(beta=-0.1), dict(initial="last"),
                                    dict(initial=5.0, bias_correction=True)])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        ewma(TEMPS, **kwargs)


def test_bad_values():
    with pytest.raises(ValueError, match="values"):
        ewma([])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_values_and_arguments_are_named(bad):
    # a NaN used to spread silently through every later average
    with pytest.raises(ValueError, match="values must contain only finite numbers"):
        ewma([25.0, bad, 17.0])
    with pytest.raises(ValueError, match=f"beta={bad} must be a finite number"):
        ewma(TEMPS, beta=bad)
    with pytest.raises(ValueError, match=f"initial={bad} must be a finite number"):
        ewma(TEMPS, initial=bad)
