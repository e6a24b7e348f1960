import numpy as np
import pytest

from dlcourse_keras import data
from dlcourse_keras.seeding import seed_everything


def _first_batches(dataset, n=2):
    out = []
    for batch in dataset.take(n):
        out.append([np.asarray(part) for part in batch] if isinstance(batch, tuple) else [np.asarray(batch)])
    return out


def _same(a, b):
    return all(np.array_equal(x, y) for bx, by in zip(a, b) for x, y in zip(bx, by))


def test_image_dataset_is_batched_scaled_and_deterministic_under_a_seed():
    seed_everything(0)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(50, 6, 6), dtype=np.uint8)
    labels = np.arange(50)
    first = _first_batches(data.image_dataset(images, labels, batch_size=8, seed=3))
    again = _first_batches(data.image_dataset(images, labels, batch_size=8, seed=3))
    other = _first_batches(data.image_dataset(images, labels, batch_size=8, seed=4))
    assert _same(first, again) and not _same(first, other)
    x, y = first[0]
    assert x.shape == (8, 6, 6, 1) and x.dtype == np.float32 and y.shape == (8,)
    np.testing.assert_allclose(x[..., 0], images[y] / 255.0, rtol=1e-6)
    ordered = list(data.image_dataset(images, labels, batch_size=8, shuffle=False))
    assert [len(b[1]) for b in ordered] == [8] * 6 + [2]
    assert np.concatenate([b[1] for b in ordered]).tolist() == labels.tolist()
    assert sorted(np.concatenate([b[1] for b in data.image_dataset(images, labels, seed=3)])) == labels.tolist()


@pytest.mark.parametrize("call, message", [
    (lambda: data.image_dataset(np.zeros((3, 2)), batch_size=2), "images has shape"),
    (lambda: data.image_dataset(np.zeros((3, 2, 2)), np.zeros(2)), "labels has 2 entries"),
    (lambda: data.image_dataset(np.zeros((3, 2, 2)), scale=float("nan")), "scale=nan"),
])
def test_bad_pipeline_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
