import gzip
import struct

import numpy as np
import pytest

from dlcourse_keras.data import formats


def _write_idx(path, array, compress=True):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    opener = gzip.open if compress else open
    with opener(path, "wb") as f:
        f.write(payload)


@pytest.mark.parametrize("compress", [True, False])
def test_read_idx_round_trips(tmp_path, compress):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / ("x.idx.gz" if compress else "x.idx")
    _write_idx(path, array, compress)
    np.testing.assert_array_equal(formats.read_idx(path), array)


def test_read_idx_rejects_other_files(tmp_path):
    path = tmp_path / "bad"
    path.write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(ValueError, match="not an IDX file"):
        formats.read_idx(path)


def test_lines_split_on_newline_only_and_legacy_decoding(tmp_path):
    path = tmp_path / "snippets"
    path.write_bytes(b"first \x85 still first\nsecond caf\xe9\r\n")
    lines = formats.read_lines_bytes(path, encoding="legacy")
    assert lines == ["first \u2026 still first", "second caf\u00e9"]


def test_labelled_sentences_parse_and_reject_bad_lines():
    texts, labels = formats.parse_labelled_sentences(["Good film.\t1", "Bad\tfilm.  \t0", ""])
    assert texts == ["Good film.", "Bad\tfilm."] and labels.tolist() == [1, 0]
    with pytest.raises(ValueError, match="<lines>:1"):
        formats.parse_labelled_sentences(["no label here"])


def test_translation_pairs_accept_two_and_three_columns():
    pairs = formats.parse_translation_pairs(["Go.\tVa !", "Hi.\tSalut !\tCC-BY 2.0 (France) #538123"])
    assert pairs == [("Go.", "Va !"), ("Hi.", "Salut !")]
    with pytest.raises(ValueError, match="2 or 3 tab-separated columns, got 1"):
        formats.parse_translation_pairs(["just english"])
