"""The course catalogue: one entry per notebook, in teaching order."""

import dataclasses
import os

# The one place that names the public repository: Colab badges, the notebooks' install line
# and the README are checked against it (tests/test_course.py).
REPOSITORY = "dlcourse-keras/dlcourse_keras"
REPOSITORY_URL = f"https://github.com/{REPOSITORY}"
INSTALL_LINE = f'%pip install -q "dlcourse_keras @ git+{REPOSITORY_URL}"'


@dataclasses.dataclass(frozen=True)
class NotebookInfo:
    """One notebook of the course.

    Args:
        id: two-digit id, stable across versions, ``"00"`` to ``"13"``.
        slug: file-name part after the id.
        title: human title.
        topics: short list of what it teaches.
        accelerator: ``"none"``, ``"optional"`` or ``"recommended"``.
    """

    id: str
    slug: str
    title: str
    topics: tuple
    accelerator: str = "none"

    @property
    def filename(self):
        return f"{self.id}_{self.slug}.ipynb"

    @property
    def colab_url(self):
        """Opens the notebook from the repository's main branch in Google Colab."""
        return f"https://colab.research.google.com/github/{REPOSITORY}/blob/main/notebooks/{self.filename}"

    @property
    def colab_badge(self):
        """Markdown for the "Open in Colab" badge of this notebook."""
        return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
                f"({self.colab_url})")


NOTEBOOKS = (
    NotebookInfo("00", "introduction", "Introduction: why deep learning",
                 ("AI vs ML vs DL", "data, hardware, frameworks", "ImageNet error by year",
                  "architecture per task", "tour of this machine and the data sets")),
    NotebookInfo("01", "perceptron", "The perceptron",
                 ("neuron and step function", "update rule and perceptron trick",
                  "AND, OR learned; XOR not", "perceptron loss", "the same unit in Keras")),
    NotebookInfo("02", "gradient_descent_and_losses", "Gradient descent and loss functions",
                 ("intercept by gradient descent", "learning rate", "batch / stochastic / mini-batch",
                  "MSE, MAE, Huber, cross-entropies, hinge")),
    NotebookInfo("03", "mlp_backpropagation", "Multilayer perceptrons and backpropagation",
                 ("notation and parameter counting", "forward propagation", "backpropagation by hand",
                  "computational graphs and GradientTape", "NumPy MLP solves XOR")),
    NotebookInfo("04", "mlp_keras_case_study", "MLPs with Keras: a case study",
                 ("binary, multi-class, regression heads", "digits and MNIST",
                  "Sequential and Functional APIs", "training curves, confusion matrix")),
    NotebookInfo("05", "activations_and_initialization", "Activations and initialization",
                 ("activation functions and derivatives", "dying ReLU",
                  "vanishing and exploding gradients", "initialization schemes")),
    NotebookInfo("06", "regularization", "Regularization",
                 ("bias and variance", "L1/L2", "dropout", "early stopping",
                  "data augmentation", "batch normalization")),
    NotebookInfo("07", "optimizers", "Optimizers",
                 ("EWMA", "SGD, momentum, Nesterov", "AdaGrad, RMSprop, Adadelta, Adam",
                  "warmup", "gradient clipping")),
    NotebookInfo("08", "convolutions", "Convolutions and pooling",
                 ("sliding dot product and edge detection", "padding, stride, output size", "pooling",
                  "why not an MLP: the infinitely strong prior", "backprop through conv and max-pool",
                  "direct vs im2col vs FFT", "dilated, transposed, depthwise-separable",
                  "structured per-pixel output", "learned filters and feature maps",
                  "the notes' errata")),
    NotebookInfo("09", "cnn_architectures", "CNN architectures",
                 ("LeNet-5 traced", "parameters vs image size", "AlexNet, VGG, Inception, ResNet blocks",
                  "receptive fields", "Fashion-MNIST case study", "augmentation, error analysis"),
                 "recommended"),
    NotebookInfo("10", "transfer_learning", "Transfer learning",
                 ("freeze, new head, fine-tune", "BatchNorm in a frozen base", "accuracy vs labels per class",
                  "random and self-supervised features", "negative transfer", "VGG16 base offline"),
                 "optional"),
    NotebookInfo("11", "recurrent_networks", "Recurrent networks",
                 ("why not an MLP on sequences", "unfolding", "BPTT by hand vs GradientTape",
                  "many-to-one, many-to-many: Keras shapes", "SimpleRNN, LSTM, GRU cells vs Keras",
                  "long-term dependencies measured", "bidirectional and deep RNNs",
                  "encoder-decoder in brief", "echo state networks and leaky units",
                  "recursive nets and explicit memory")),
    NotebookInfo("12", "lstm_sentiment", "LSTM sentiment analysis",
                 ("a fixed stratified split", "TextVectorization and a bag-of-words baseline",
                  "one-hot vs embeddings", "LSTM/GRU/bidirectional/CNN/fastText vs the baseline",
                  "pretrained knowledge: GloVe vectors and IMDB pretraining",
                  "a paired bootstrap", "10-fold cross-validation", "padding and masking",
                  "error analysis", "other domains without retraining",
                  "raw-string model saved and reloaded"), "optional"),
    NotebookInfo("13", "translation", "Encoder-decoder translation",
                 ("Tatoeba sentence pairs", "encoder-decoder and teacher forcing", "Bahdanau attention",
                  "greedy decoding and beam search", "BLEU, also by source length",
                  "attention heat maps as alignments", "error analysis", "saving the translator",
                  "from encoder-decoders to Transformers"), "recommended"),
)

_BY_ID = {nb.id: nb for nb in NOTEBOOKS}


def notebooks_dir():
    """The ``notebooks/`` folder of a source checkout (``DLCOURSE_NOTEBOOKS`` overrides)."""
    override = os.environ.get("DLCOURSE_NOTEBOOKS")
    if override:
        return os.path.abspath(override)
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(os.path.dirname(package), "notebooks")


def get_notebook(notebook_id):
    """Returns the :class:`NotebookInfo` for an id such as ``"03"`` or ``3``."""
    key = f"{int(notebook_id):02d}" if str(notebook_id).isdigit() else str(notebook_id)
    if key not in _BY_ID:
        raise ValueError(
            f"notebook id {notebook_id!r} is unknown; expected one of {sorted(_BY_ID)}."
        )
    return _BY_ID[key]


def available_notebooks(directory=None):
    """Catalogue entries whose ``.ipynb`` file exists in ``directory``."""
    directory = directory or notebooks_dir()
    return [nb for nb in NOTEBOOKS if os.path.exists(os.path.join(directory, nb.filename))]
