"""``turunan.nn``: layers, losses, initialisers and checkpoints, composed over the one engine.

>>> import turunan as tn
>>> from turunan import nn
>>> g = tn.Generator(0)
>>> model = nn.Sequential(nn.Linear(4, 8, generator=g), nn.ReLU(), nn.Linear(8, 3, generator=g))
>>> loss = nn.CrossEntropyLoss()(model(tn.ones(2, 4)), tn.tensor([0, 2]))
>>> loss.backward()
>>> model[0].weight.grad.shape
(8, 4)
"""

from . import functional, init, parallel
from .activations import (
    CELU,
    ELU,
    GLU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LogSigmoid,
    Mish,
    PReLU,
    ReLU6,
    SiLU,
    Softmin,
    Softplus,
    Softsign,
    Tanhshrink,
    Threshold,
)
from .layers import (
    GELU,
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    BCEWithLogitsLoss,
    Conv2d,
    CrossEntropyLoss,
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2d,
    MSELoss,
    NLLLoss,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from .losses import (
    BCELoss,
    CosineSimilarity,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    PairwiseDistance,
    SmoothL1Loss,
    SoftMarginLoss,
)
from .module import Module, ModuleDict, ModuleList, ParameterList, Sequential
from .normalization import Embedding, GroupNorm, LayerNorm, Unflatten
from .parameter import Parameter
from .recurrent import GRU, LSTM, RNN
from .serialization import CheckpointError, load, save

__all__ = ["RNN", "LSTM", "GRU",
           "Module", "ModuleList", "ModuleDict", "ParameterList", "Sequential", "Parameter", "Linear", "Conv2d",
           "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Flatten", "Dropout", "BatchNorm1d", "BatchNorm2d", "ReLU",
           "Sigmoid", "Tanh",
           "GELU", "LeakyReLU",
           "Softmax", "LogSoftmax", "Identity", "MSELoss", "CrossEntropyLoss", "NLLLoss", "BCEWithLogitsLoss",
           "functional", "init", "save", "load", "CheckpointError", "CELU", "ELU", "GLU", "SELU", "Hardsigmoid",
           "Hardswish", "Hardtanh", "LogSigmoid", "Mish", "PReLU", "ReLU6", "SiLU", "Softmin", "Softplus", "Softsign",
           "Tanhshrink", "Threshold", "BCELoss", "CosineSimilarity", "HuberLoss", "KLDivLoss", "L1Loss",
           "PairwiseDistance", "SmoothL1Loss", "SoftMarginLoss", "Embedding", "GroupNorm", "LayerNorm", "Unflatten"]
