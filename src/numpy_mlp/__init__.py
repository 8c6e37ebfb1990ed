"""numpy-mlp: a multilayer perceptron with every line of backpropagation written by hand in NumPy.

The public names, by concept (each module holds one). Also: ``numpy_mlp.datasets`` (CSV, IDX,
MNIST, synthetic sets), ``numpy_mlp.plotting`` (needs matplotlib) and ``numpy_mlp.sklearn``
(``MLPClassifier`` and ``MLPRegressor``, drop-ins for scikit-learn's; need scikit-learn).
"""

from .activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh, log_softmax, sigmoid, softmax
from .callbacks import Callback, EarlyStopping, ModelCheckpoint, ProgressBar
from .gradient_check import gradient_check
from .layers import Dropout, Layer
from .losses import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy
from .network import MLP, load
from .optimizers import SGD, Adam, AdamW, Optimizer, RMSProp, clip_by_global_norm, make_optimizer
from .schedules import Constant, CosineDecay, ExponentialDecay, StepDecay, make_schedule
from .serialization import ModelFileError
from .training import DivergenceError, History, fit
from .validation import FeatureRangeWarning

__version__ = "0.1.0"

__all__ = [
    "MLP", "Layer", "Dropout", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Identity",
    "sigmoid", "softmax", "log_softmax",
    "BinaryCrossEntropy", "SoftmaxCrossEntropy", "MeanSquaredError",
    "Optimizer", "SGD", "RMSProp", "Adam", "AdamW", "make_optimizer", "clip_by_global_norm",
    "Constant", "StepDecay", "ExponentialDecay", "CosineDecay", "make_schedule",
    "fit", "History", "DivergenceError", "Callback", "EarlyStopping", "ModelCheckpoint", "ProgressBar",
    "load", "ModelFileError", "FeatureRangeWarning", "gradient_check",
]
