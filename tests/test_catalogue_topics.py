"""The catalogue's topic lists follow the notebooks' sections (``dlcourse list``, the site's map).

For the notebooks whose sections changed lately, each numbered section heading is listed with
the words the catalogue's topics must contain for it. A heading added, renamed or removed in
the notebook fails the test until this table, and so the catalogue, is looked at again.
"""

import json
import os
import re

import pytest

from dlcourse_keras.course import catalogue

# id -> (numbered section heading -> words its topics must contain), in the notebook's order;
# the key None holds what spans sections.
SECTIONS = {
    "08": {
        "Convolution: a sliding dot product": ("sliding dot product", "edge detection"),
        "Padding, stride and the output size": ("padding", "stride", "output size"),
        "Pooling": ("pooling",),
        "Why not an MLP on images?": ("why not an MLP", "infinitely strong prior"),
        "Backpropagation through a CNN, by hand": ("backprop through conv",),
        "A convolution layer from `keras.ops`: patches times a matrix": ("direct", "im2col", "FFT"),
        "Variants of the basic convolution": ("dilated", "transposed", "depthwise-separable"),
        "Structured outputs: one prediction per pixel": ("per-pixel",),
        "What a CNN learns on real images": ("learned filters", "feature maps"),
        None: ("the notes' errata",),
    },
    "11": {
        "Sequence data, and why an MLP on padded one-hot vectors is a poor fit": ("MLP",),
        "The recurrence and its unfolding": ("unfolding",),
        "Backpropagation through time on the notes' toy network": ("BPTT",),
        "Kinds of recurrent network, with Keras shapes": ("many-to-one", "Keras shapes"),
        "LSTM and GRU from the notes' gate equations": ("LSTM", "GRU"),
        "Long-term dependencies, measured": ("long-term dependencies",),
        "Bidirectional and deep RNNs": ("bidirectional and deep",),
        "Encoder-decoder, in one paragraph": ("encoder-decoder",),
        "Echo state networks and leaky units": ("echo state networks", "leaky units"),
        "Recursive networks and explicit memory": ("recursive", "explicit memory"),
    },
    "12": {
        "The data and a fixed split": ("fixed stratified split",),
        "Text to integers, and a baseline first": ("TextVectorization", "bag-of-words baseline"),
        "Integer encoding, one-hot or embeddings?": ("one-hot", "embeddings"),
        "Five networks against the baseline": ("LSTM/GRU/bidirectional/CNN/fastText",),
        "An LSTM with pretrained knowledge": ("GloVe", "IMDB pretraining", "paired bootstrap"),
        "The literature's protocol: 10-fold cross-validation": ("10-fold cross-validation",),
        "Padding and masking": ("padding and masking",),
        "Error analysis": ("error analysis",),
        "Other domains without retraining": ("other domains",),
        "A model that takes raw strings, saved and reloaded": ("raw-string model",),
    },
    "13": {
        "The data: Tatoeba sentence pairs": ("Tatoeba",),
        "The encoder-decoder and teacher forcing": ("encoder-decoder", "teacher forcing"),
        "Attention": ("attention",),
        "Inference: greedy decoding and beam search": ("greedy decoding", "beam search"),
        "BLEU": ("BLEU", "source length"),
        "Attention heat maps and the alignment they read out": ("heat maps",),
        "Error analysis": ("error analysis", "saving the translator"),
        "From encoder-decoders to Transformers": ("Transformers",),
    },
}


def _numbered_sections(info):
    with open(os.path.join(catalogue.notebooks_dir(), info.filename), encoding="utf-8") as f:
        cells = json.load(f)["cells"]
    headings = []
    for cell in cells:
        if cell["cell_type"] == "markdown":
            headings += re.findall(r"^## \d+\. (.+)$", "".join(cell["source"]), flags=re.M)
    return headings


@pytest.mark.parametrize("notebook_id", sorted(SECTIONS))
def test_topics_name_every_numbered_section(notebook_id):
    info = catalogue.get_notebook(notebook_id)
    wanted = SECTIONS[notebook_id]
    assert _numbered_sections(info) == [h for h in wanted if h is not None]
    topics = "; ".join(info.topics).lower()
    missing = {h: [w for w in words if w.lower() not in topics]
               for h, words in wanted.items() if any(w.lower() not in topics for w in words)}
    assert missing == {}


def test_topics_are_short_phrases():
    for info in catalogue.NOTEBOOKS:
        assert 3 <= len(info.topics) <= 12, info.id
        assert all(isinstance(t, str) and 0 < len(t) <= 60 and t == t.strip() for t in info.topics), info.id
        assert len(set(info.topics)) == len(info.topics), info.id
