"""D2L's chapters and helper library on turunan's three doors (``python -m turunan tour --chapter``, and tests).

The book's chapters after the preliminaries import its helper library: ``from d2l import torch as d2l`` (or
``mxnet``, ``tensorflow``). ``load_library(tab)`` runs that library's file, read from ``../shared/d2l`` beside the
checkout (never copied here), as a module whose imports of the framework give turunan's door instead
(``import torch`` -> ``turunan.torch``, ``from mxnet import np`` -> ``turunan.mxnet``, ``import tensorflow as tf`` ->
``turunan.tensorflow``), statement by statement: an alias of a name the door lacks (``meshgrid = torch.meshgrid``)
is left out and listed in ``module.skipped``; anything else that fails, fails. The glue, the smallest there is:

- ``pandas``, ``requests``, ``IPython``, ``matplotlib``, ``matplotlib_inline``, ``PIL`` (imported by the library,
  not used by these chapters' computations) are empty stand-ins; ``torchvision`` (the PyTorch tab's data set and
  transforms) is a stand-in over ``turunan.datasets.fashion_mnist``: FashionMNIST, ``Compose``, ``Resize``
  (28x28 only), ``ToTensor``; a module the library imports that is not installed (``scipy.spatial`` without
  SciPy) imports as a stand-in whose names raise ``ModuleNotFoundError`` when called;
- the ``ProgressBoard`` draws nothing (``display=False``): it keeps the points it would plot (``board.data``);
  ``show_images`` keeps the titles it would show (``module.shown``); data modules load with ``num_workers=0``;
- ``synthetic_data()`` (a context manager) makes ``turunan.datasets.fashion_mnist``, which all three doors'
  Fashion-MNIST names read, give ``synthetic_fashion_mnist`` (a set of the same shapes and dtypes): turunan
  downloads nothing.

>>> from turunan import book
>>> sorted(book.LIBRARIES)
['mxnet', 'pytorch', 'tensorflow']
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import os
import sys
import types
from pathlib import Path

PRELIMINARIES = ("ndarray", "linear-algebra", "calculus", "probability", "autograd")
# the chapters the tour and the tests run, by name: the folder each lies in
CHAPTERS = {**{name: "chapter_preliminaries" for name in PRELIMINARIES},
            "linear-regression-scratch": "chapter_linear-regression",
            "linear-regression-concise": "chapter_linear-regression",
            "softmax-regression-scratch": "chapter_linear-classification",
            "softmax-regression-concise": "chapter_linear-classification",
            "mlp-implementation": "chapter_multilayer-perceptrons"}
# a tab -> its library's file (d2l/<file>.py) and the framework's top-level module name
LIBRARIES = {"pytorch": "torch", "mxnet": "mxnet", "tensorflow": "tensorflow"}
_STAND_INS = ("pandas", "requests", "IPython", "matplotlib", "matplotlib_inline", "PIL")


def d2l_root(given: str | None = None) -> Path:
    """Where D2L's files are: ``given``, else ``$TURUNAN_D2L``, else ``shared/d2l`` beside the checkout."""
    if given or os.environ.get("TURUNAN_D2L"):
        return Path(given or os.environ["TURUNAN_D2L"])
    return Path(__file__).resolve().parents[3] / "shared" / "d2l"


def chapter_path(chapter: str, root: Path | None = None) -> Path:
    """The Markdown file of a chapter named in ``CHAPTERS`` (or a path relative to ``chapter_preliminaries``)."""
    folder = CHAPTERS.get(chapter, "chapter_preliminaries")
    return (root or d2l_root()) / folder / f"{chapter}.md"


def library_path(tab: str, root: Path | None = None) -> Path:
    return (root or d2l_root()) / "d2l" / f"{LIBRARIES[tab]}.py"


def needs_library(chapter: str) -> bool:
    """The chapters after the preliminaries use the helper library (``from d2l import ... as d2l``)."""
    return CHAPTERS.get(chapter, "chapter_preliminaries") != "chapter_preliminaries"


class Tab:
    """The book's tab machinery as its cells use it: ``tab.selected('mxnet', 'pytorch')``."""

    def __init__(self, tab: str):
        self.tab = tab

    def selected(self, *tabs: str) -> bool:
        return self.tab in tabs


@contextlib.contextmanager
def synthetic_data():
    """Within this block ``turunan.datasets.fashion_mnist`` gives ``synthetic_fashion_mnist``'s stand-in."""
    from . import datasets
    real = datasets.fashion_mnist
    datasets.fashion_mnist = lambda train=True, root=None: datasets.synthetic_fashion_mnist(train)
    try:
        yield
    finally:
        datasets.fashion_mnist = real


def _torchvision(fw):
    """torchvision's names the PyTorch library uses, over ``turunan.datasets.fashion_mnist``, making ``fw``'s
    tensors (turunan's door or PyTorch itself)."""
    import numpy as np

    from . import datasets

    class FashionMNIST:
        def __init__(self, root=None, train=True, transform=None, download=False):
            images, labels = datasets.fashion_mnist(train)
            self.data, self.targets = images, labels.astype(np.int64)
            self.transform = transform

        def __len__(self):
            return len(self.targets)

        def __getitem__(self, i):
            image = self.data[i]
            return (self.transform(image) if self.transform else image), int(self.targets[i])

    class Compose:
        def __init__(self, transforms):
            self.transforms = list(transforms)

        def __call__(self, x):
            for t in self.transforms:
                x = t(x)
            return x

    class Resize:
        def __init__(self, size):
            if tuple(size) != (28, 28):
                raise NotImplementedError(f"the torchvision stand-in resizes nothing: Resize({size}) asked for, "
                                          "only (28, 28) (Fashion-MNIST's own size) is supported")

        def __call__(self, x):
            return x

    class ToTensor:
        def __call__(self, x):       # (28, 28) uint8 -> (1, 28, 28) float32 in [0, 1], as torchvision's
            return fw.tensor(np.asarray(x)[None].astype(np.float32) / np.float32(255))

    module = types.ModuleType("torchvision")
    module.datasets = types.SimpleNamespace(FashionMNIST=FashionMNIST)
    module.transforms = types.SimpleNamespace(Compose=Compose, Resize=Resize, ToTensor=ToTensor)
    return module


def _stand_ins() -> dict:
    modules = {name: types.ModuleType(name) for name in _STAND_INS}
    modules["IPython"].display = types.SimpleNamespace(display=lambda *a, **k: None, clear_output=lambda **k: None)
    modules["matplotlib"].pyplot = types.SimpleNamespace()
    modules["PIL"].Image = types.SimpleNamespace()
    modules["matplotlib_inline"].backend_inline = types.SimpleNamespace(set_matplotlib_formats=lambda *a: None)
    return modules


def _importer(tab: str, on_turunan: bool, fw):
    """``__import__`` for the library: the framework's modules from turunan's door, the stand-ins, the rest as is."""
    framework = LIBRARIES[tab]
    stand_ins = _stand_ins()
    if tab == "pytorch":
        stand_ins["torchvision"] = _torchvision(fw)
    real_import = builtins.__import__

    def _import(name, globals=None, locals=None, fromlist=(), level=0):
        top, _, rest = name.partition(".")
        if top == framework and on_turunan:
            module = real_import(f"turunan.{name}", globals, locals, fromlist, level)
            return module if fromlist else sys.modules[f"turunan.{framework}"]
        if top in stand_ins:
            module = stand_ins[top]
            for part in rest.split(".") if rest else ():
                module = getattr(module, part)
            return module
        try:
            return real_import(name, globals, locals, fromlist, level)
        except ModuleNotFoundError:
            if top in ("turunan", framework, "numpy"):
                raise
            return _absent(name)      # a library the book imports for other chapters (scipy.spatial, ...)
    return _import


def _absent(name: str) -> types.ModuleType:
    """A module that is not installed, imported by the book's library for chapters these ones are not: its names
    import, and say so when used."""
    module = types.ModuleType(name)

    def __getattr__(attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)

        def missing(*args, **kwargs):
            raise ModuleNotFoundError(f"{name}.{attr}: {name} is not installed; D2L's library imports it for other "
                                      "chapters than these")
        return missing
    module.__getattr__ = __getattr__
    return module


def load_library(tab: str, on_turunan: bool = True, root: Path | None = None) -> types.ModuleType:
    """``from d2l import <tab's library> as d2l``, on turunan's door (``on_turunan=False``: on the framework
    itself, where it is installed). See the module's docstring for the glue."""
    import importlib
    path = library_path(tab, root)
    if not path.is_file():
        raise FileNotFoundError(f"D2L's helper library is not here: {path} (put shared/d2l beside the checkout, "
                                "or set $TURUNAN_D2L)")
    fw = importlib.import_module(("turunan." if on_turunan else "") + LIBRARIES[tab])
    name = f"d2l.{LIBRARIES[tab]}"
    module = types.ModuleType(name)
    module.__dict__["__builtins__"] = {**builtins.__dict__, "__import__": _importer(tab, on_turunan, fw)}
    module.skipped = []
    saved = sys.modules.get(name)
    sys.modules[name] = module          # the library's ``d2l = sys.modules[__name__]``
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in tree.body:
            code = compile(ast.Module([node], []), str(path), "exec")
            try:
                exec(code, module.__dict__)  # noqa: S102  (running the book's library is the point)
            except AttributeError as e:
                if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute)):
                    raise
                module.skipped.append(f"{ast.unparse(node)}: {e}")
    finally:
        if saved is None:
            del sys.modules[name]
        else:
            sys.modules[name] = saved
    _quiet(module)
    return module


def _quiet(module: types.ModuleType) -> None:
    """The board keeps its points and draws nothing; ``show_images`` keeps its titles; no worker processes."""
    class Board(module.ProgressBoard):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.display = False

    module.ProgressBoard = Board
    module.DataModule.__init__.__defaults__ = ("../data", 0)      # root, num_workers: the data are in memory
    module.shown = []
    module.show_images = lambda imgs, num_rows, num_cols, titles=None, scale=1.5: module.shown.append(titles)
