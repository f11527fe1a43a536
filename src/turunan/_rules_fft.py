"""Rows of the derivative table for Fourier transforms and convolution, and NumPy's signatures over them.

Every discrete Fourier transform is linear, so each row's reverse rule is another transform (JAX's and HIPS
autograd's convention for complex numbers: a linear map's reverse rule is its *transpose*, no conjugation; the
engine takes the real part of a real input's cotangent). The DFT matrix is symmetric, so

- ``fft`` (complex to complex, any axes, NumPy's ``s`` resizing and ``norm``): its transpose is the same
  transform of the cotangent, then the resizing undone (``fft_resize``: a crop is transposed by a zero pad);
- ``rfft`` (real to the half spectrum): the half spectrum zero-padded to the full length, then ``fft``;
- ``irfft`` (half spectrum to real, through the Hermitian extension): ``ifft`` of the cotangent, cropped to the half
  spectrum and weighted by how often each bin counts in the extension (1 for bin 0 and, for an even length, the
  last; 2 for the others);
- ``fft_roll`` (``fftshift``/``ifftshift``): the roll back.

``hfft``/``ihfft`` are ``irfft``/``rfft`` with time reversed (NumPy's conjugations: a real signal's conjugate
spectrum is its reversed signal's spectrum). Since every rule is made of these rows, derivatives of any order
come for free. ``convolve`` (SciPy's ``signal.convolve``, loaded when first used) is bilinear: the reverse rule for
one input correlates the cotangent (zero-padded to the full convolution's shape) with the other input.
"""

from __future__ import annotations

import numpy as np

from . import _batching as B
from ._array import as_operand, beside, refuse_device, zeros
from ._core import Tensor, apply
from ._rules import LINEAR, MULTILINEAR, defprim, getitem, scatter_add

NORMS = ("backward", "ortho", "forward")
_SWAP = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


# ---- kernels and rules ----------------------------------------------------------------------------------
def _fft(x, s, axes, norm, inverse):
    return (np.fft.ifftn if inverse else np.fft.fftn)(x, s=s, axes=axes, norm=norm)


def _resize(x, sizes, axes):
    """Crop or zero-pad ``x`` at the end of each axis in ``axes`` to its length in ``sizes`` (NumPy's ``n``/``s``)."""
    shape = list(x.shape)
    for a, n in zip(axes, sizes):
        shape[a] = n
    if tuple(shape) == x.shape:
        return x.copy()     # a new array, as every kernel's result (an in-place change of it must not reach x)
    out = zeros(shape, x.dtype, like=x)     # of x's array type (a device array's on the device)
    common = tuple(slice(0, min(m, n)) for m, n in zip(x.shape, shape))
    out[common] = x[common]
    return out


def _rfftn(x, s, axes, norm):
    return np.fft.rfftn(x, s=s, axes=axes, norm=norm)


def _irfftn(x, s, axes, norm):
    return np.fft.irfftn(x, s=s, axes=axes, norm=norm)


def _roll(x, shifts, axes):
    return np.roll(x, shifts, axes)


def _lengths(x, axes) -> tuple:
    return tuple(x.shape[a] for a in axes)


def _fit(y, x, axes):
    """``y`` cropped or padded back to ``x``'s lengths along ``axes`` (skipped where they agree)."""
    sizes = _lengths(x, axes)
    return y if _lengths(y, axes) == sizes else fft_resize(y, sizes=sizes, axes=axes)


def _rfft_vjp(g, ans, x, s, axes, norm):
    full = fft_resize(g, sizes=s[-1:], axes=axes[-1:])      # the half spectrum's transpose: a zero pad
    return _fit(fft(full, s=s, axes=axes, norm=norm, inverse=False), x, axes)


def _hermitian_weights(n: int, axis: int, ndim: int, dtype):
    """How often each bin of a length-``n`` half spectrum counts in its Hermitian extension, shaped along ``axis``."""
    w = np.full(n // 2 + 1, 2.0, dtype=dtype)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return w.reshape((-1,) + (1,) * (ndim - 1 - axis))


def _irfft_vjp(g, ans, x, s, axes, norm):
    spectrum = fft(g, s=s, axes=axes, norm=norm, inverse=True)
    n = s[-1]
    half = fft_resize(spectrum, sizes=(n // 2 + 1,), axes=axes[-1:])
    w = _hermitian_weights(n, axes[-1], len(x.shape), g.dtype)
    return _fit(half * beside(w, half), x, axes)     # on the device for a CuPy gradient (it refuses NumPy's)


# ---- the rows ---------------------------------------------------------------------------------------------
_AXES = "axes"
fft = defprim("fft", _fft, [lambda g, ans, x, s, axes, norm, inverse:
                            _fit(fft(g, s=s, axes=axes, norm=norm, inverse=inverse), x, axes)], LINEAR,
              batch=B.along_axis(_fft, _AXES), display="FftC2C")
fft_resize = defprim("fft_resize", _resize, [lambda g, ans, x, sizes, axes: _fit(g, x, axes)], LINEAR,
                     batch=B.along_axis(_resize, _AXES))
rfft = defprim("rfft", _rfftn, [_rfft_vjp], LINEAR, batch=B.along_axis(_rfftn, _AXES), display="FftR2C")
irfft = defprim("irfft", _irfftn, [_irfft_vjp], LINEAR, batch=B.along_axis(_irfftn, _AXES), display="FftC2R")
fft_roll = defprim("fft_roll", _roll, [lambda g, ans, x, shifts, axes: fft_roll(g, shifts=tuple(-k for k in shifts),
                                                                                 axes=axes)],
                   LINEAR, batch=B.along_axis(_roll, _AXES), display="Roll")


# ---- NumPy's signatures ----------------------------------------------------------------------------------
def _operand(a, name: str):
    return a if isinstance(a, Tensor) else as_operand(a, f"numpy.fft.{name}")


def _shape(a) -> tuple:
    return np.shape(a._d if isinstance(a, Tensor) else a)


def _norm(norm, name: str) -> str:
    if norm is None:
        return "backward"
    if norm not in NORMS:
        raise ValueError(f"numpy.fft.{name}: norm must be one of {NORMS} or None, got {norm!r}")
    return norm


def _axes(shape: tuple, s, axes, name: str) -> tuple:
    """NumPy's defaults: every axis, or the last ``len(s)`` when only ``s`` is given; made non-negative."""
    nd = len(shape)
    if axes is None:
        axes = range(nd) if s is None else range(nd - len(s), nd)
    axes = tuple(int(a) for a in axes)
    for a in axes:
        if not -nd <= a < nd:
            raise ValueError(f"numpy.fft.{name}: axis {a} is out of bounds for an array of dimension {nd}")
    axes = tuple(a % nd for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"numpy.fft.{name}: axes {axes} repeat an axis; transform it twice by calling twice")
    if not axes:
        raise ValueError(f"numpy.fft.{name}: no axis to transform (an array of dimension {nd}, axes {axes})")
    return axes


def _sizes(shape: tuple, s, axes: tuple, name: str, last=None) -> tuple:
    """The transform lengths: ``s``, else the input's lengths (``last``: the default length of the last axis)."""
    if s is None:
        s = [shape[a] for a in axes]
        if last is not None:
            s[-1] = last(shape[axes[-1]])
    s = tuple(int(n) for n in s)
    if len(s) != len(axes):
        raise ValueError(f"numpy.fft.{name}: s {s} and axes {axes} must have the same length")
    for n in s:
        if n < 1:
            raise ValueError(f"numpy.fft.{name}: invalid number of data points ({n}); give lengths >= 1")
    return s


def _no_out(out, name: str) -> None:
    if out is not None:
        raise TypeError(f"numpy.fft.{name}(..., out=...) is not supported on turunan tensors; use the result")


def _real_input(a, name: str) -> None:
    if np.dtype(a.dtype if hasattr(a, "dtype") else np.asarray(a).dtype).kind == "c":
        raise TypeError(f"numpy.fft.{name} takes a real input, got a complex one; use fft/fftn for complex input "
                        "(or take its real part first)")


def _half_to_full(m: int) -> int:
    return 2 * (m - 1)


def _c2c(name: str, inverse: bool, a, s, axes, norm, out=None):
    _no_out(out, name)
    a = _operand(a, name)
    shape = _shape(a)
    axes = _axes(shape, s, axes, name)
    return apply(fft, a, s=_sizes(shape, s, axes, name), axes=axes, norm=_norm(norm, name), inverse=inverse)


def _r2c(name: str, a, s, axes, norm, out=None):
    _no_out(out, name)
    a = _operand(a, name)
    _real_input(a, name)
    shape = _shape(a)
    axes = _axes(shape, s, axes, name)
    return apply(rfft, a, s=_sizes(shape, s, axes, name), axes=axes, norm=_norm(norm, name))


def _c2r(name: str, a, s, axes, norm, out=None):
    _no_out(out, name)
    a = _operand(a, name)
    shape = _shape(a)
    axes = _axes(shape, s, axes, name)
    return apply(irfft, a, s=_sizes(shape, s, axes, name, last=_half_to_full), axes=axes, norm=_norm(norm, name))


def _numpy_fft(name: str):
    """Name a function after NumPy's, and give it NumPy's numbers as its example."""
    def named(fn):
        fn.__name__ = fn.__qualname__ = name
        fn.__doc__ = (f"``numpy.fft.{name}``, recorded: NumPy's arguments and numbers, derivatives to any order.\n\n"
                      ">>> import numpy as np\n>>> import turunan.numpy as tnp\n>>> x = np.arange(6.0).reshape(2, 3)\n"
                      f">>> np.allclose(tnp.fft.{name}(x).numpy(), np.fft.{name}(x))\nTrue\n")
        return fn
    return named


def _one(n):
    return None if n is None else (n,)


@_numpy_fft("fft")
def fft_1d(a, n: int | None = None, axis: int = -1, norm: str | None = None, out=None) -> Tensor:
    return _c2c("fft", False, a, _one(n), (axis,), norm, out)


@_numpy_fft("ifft")
def ifft_1d(a, n: int | None = None, axis: int = -1, norm: str | None = None, out=None) -> Tensor:
    return _c2c("ifft", True, a, _one(n), (axis,), norm, out)


@_numpy_fft("fft2")
def fft2(a, s=None, axes=(-2, -1), norm: str | None = None, out=None) -> Tensor:
    return _c2c("fft2", False, a, s, axes, norm, out)


@_numpy_fft("ifft2")
def ifft2(a, s=None, axes=(-2, -1), norm: str | None = None, out=None) -> Tensor:
    return _c2c("ifft2", True, a, s, axes, norm, out)


@_numpy_fft("fftn")
def fftn(a, s=None, axes=None, norm: str | None = None, out=None) -> Tensor:
    return _c2c("fftn", False, a, s, axes, norm, out)


@_numpy_fft("ifftn")
def ifftn(a, s=None, axes=None, norm: str | None = None, out=None) -> Tensor:
    return _c2c("ifftn", True, a, s, axes, norm, out)


@_numpy_fft("rfft")
def rfft_1d(a, n: int | None = None, axis: int = -1, norm: str | None = None, out=None) -> Tensor:
    return _r2c("rfft", a, _one(n), (axis,), norm, out)


@_numpy_fft("rfft2")
def rfft2(a, s=None, axes=(-2, -1), norm: str | None = None, out=None) -> Tensor:
    return _r2c("rfft2", a, s, axes, norm, out)


@_numpy_fft("rfftn")
def rfftn(a, s=None, axes=None, norm: str | None = None, out=None) -> Tensor:
    return _r2c("rfftn", a, s, axes, norm, out)


@_numpy_fft("irfft")
def irfft_1d(a, n: int | None = None, axis: int = -1, norm: str | None = None, out=None) -> Tensor:
    return _c2r("irfft", a, _one(n), (axis,), norm, out)


@_numpy_fft("irfft2")
def irfft2(a, s=None, axes=(-2, -1), norm: str | None = None, out=None) -> Tensor:
    return _c2r("irfft2", a, s, axes, norm, out)


@_numpy_fft("irfftn")
def irfftn(a, s=None, axes=None, norm: str | None = None, out=None) -> Tensor:
    return _c2r("irfftn", a, s, axes, norm, out)


def _reverse_time(x, axis: int):
    """``x[-k mod n]`` along ``axis``: reversed, then rolled by one (index 0 stays first)."""
    flipped = getitem(x, index=(slice(None),) * axis + (slice(None, None, -1), Ellipsis), basic=True)
    return fft_roll(flipped, shifts=(1,), axes=(axis,))


@_numpy_fft("hfft")
def hfft(a, n: int | None = None, axis: int = -1, norm: str | None = None, out=None) -> Tensor:
    # NumPy's hfft is irfft of the conjugate with the other norm; conjugating a Hermitian spectrum reverses time
    _no_out(out, "hfft")
    a = _operand(a, "hfft")
    (ax,) = _axes(_shape(a), None, (axis,), "hfft")
    y = _c2r("hfft", a, _one(n), (ax,), _SWAP[_norm(norm, "hfft")])
    return _reverse_time(y, ax)


@_numpy_fft("ihfft")
def ihfft(a, n: int | None = None, axis: int = -1, norm: str | None = None, out=None) -> Tensor:
    # NumPy's ihfft is the conjugate of rfft with the other norm: the rfft of the time-reversed signal
    _no_out(out, "ihfft")
    a = _operand(a, "ihfft")
    _real_input(a, "ihfft")
    shape = _shape(a)
    (ax,) = _axes(shape, None, (axis,), "ihfft")
    (size,) = _sizes(shape, _one(n), (ax,), "ihfft")
    fitted = a if shape[ax] == size else apply(fft_resize, a, sizes=(size,), axes=(ax,))
    return _r2c("ihfft", _reverse_time(fitted, ax), None, (ax,), _SWAP[_norm(norm, "ihfft")])


def _shift(x, axes, sign: int, name: str):
    x = _operand(x, name)
    shape = _shape(x)
    if axes is None:
        axes = tuple(range(len(shape)))
    elif isinstance(axes, (int, np.integer)):
        axes = (int(axes),)
    axes = _axes(shape, None, axes, name)
    return apply(fft_roll, x, shifts=tuple(sign * (shape[a] // 2) for a in axes), axes=axes)


@_numpy_fft("fftshift")
def fftshift(x, axes=None) -> Tensor:
    return _shift(x, axes, 1, "fftshift")


@_numpy_fft("ifftshift")
def ifftshift(x, axes=None) -> Tensor:
    return _shift(x, axes, -1, "ifftshift")


# ---- convolution (SciPy's signal.convolve) ------------------------------------------------------------------
_MODES = ("full", "valid", "same")


def _scipy_convolve():
    try:
        from scipy.signal import convolve as kernel
    except ImportError as err:      # SciPy is an optional extra
        raise ImportError("turunan.scipy.signal.convolve needs SciPy: pip install 'turunan[scipy]'") from err
    return kernel


def _convolve(a, b, mode, method):
    refuse_device("turunan.scipy.signal.convolve", a, b)
    return _scipy_convolve()(a, b, mode=mode, method=method)


def _offset(mode: str, na: int, nb: int) -> int:
    """Where the result starts in the full convolution's coordinates, along one axis."""
    if mode == "full":
        return 0
    if mode == "same":
        return (nb - 1) // 2       # SciPy's: the full result's centre, in1's shape
    return min(na, nb) - 1     # valid: the shorter input lies wholly inside the longer


def _convolve_vjp(g, x, other, mode, method, x_first: bool):
    """d/dx of sum(g * convolve(a, b)): g put back where it lies in the full convolution (zeros around it), then
    correlated with the other input (a 'valid' convolution with it reversed), which has x's shape."""
    sa, sb = (x.shape, other.shape) if x_first else (other.shape, x.shape)
    if mode != "full":
        full_shape = tuple(p + q - 1 for p, q in zip(sa, sb))
        index = tuple(slice(o, o + n) for o, n in zip(map(_offset, [mode] * len(sa), sa, sb), g.shape))
        g = scatter_add(g, full_shape, index + (Ellipsis,), True)
    reversed_other = getitem(other, index=(slice(None, None, -1),) * len(sa) + (Ellipsis,), basic=True)
    return convolve(g, reversed_other, mode="valid", method=method)


def _convolve_batch(b, x, y, mode, method):
    """A batch of convolutions, one per example (SciPy convolves every axis it is given)."""
    lead = b.sizes
    x, y = (np.broadcast_to(v, lead + v.shape[b.nb:] if on else lead + np.shape(v))
            for v, on in zip((x, y), b.batched))
    xs, ys = x.reshape((-1,) + x.shape[b.nb:]), y.reshape((-1,) + y.shape[b.nb:])
    out = np.stack([_convolve(p, q, mode, method) for p, q in zip(xs, ys)])
    return out.reshape(lead + out.shape[1:])


convolve = defprim("convolve", _convolve,
                   [lambda g, ans, a, b, mode, method: _convolve_vjp(g, a, b, mode, method, True),
                    lambda g, ans, a, b, mode, method: _convolve_vjp(g, b, a, mode, method, False)],
                   MULTILINEAR, batch=_convolve_batch, display="Convolution")


def signal_convolve(in1, in2, mode: str = "full", method: str = "auto") -> Tensor:
    """SciPy's ``signal.convolve``, recorded: differentiable in both inputs (N-d, every mode)."""
    if mode not in _MODES:
        raise ValueError(f"convolve: mode must be one of {_MODES}, got {mode!r}")
    if method not in ("auto", "direct", "fft"):
        raise ValueError(f"convolve: method must be 'auto', 'direct' or 'fft', got {method!r}")
    a, b = (x if isinstance(x, Tensor) else as_operand(x, "scipy.signal.convolve") for x in (in1, in2))
    sa, sb = _shape(a), _shape(b)
    if len(sa) != len(sb):
        raise ValueError(f"convolve: in1 and in2 must have the same number of dimensions, got {len(sa)}-d and "
                         f"{len(sb)}-d; reshape one of them (e.g. add axes of length 1)")
    if mode == "valid" and not (all(p >= q for p, q in zip(sa, sb)) or all(p <= q for p, q in zip(sa, sb))):
        raise ValueError(f"convolve: in 'valid' mode one input must be at least as large as the other along every "
                         f"axis, got shapes {sa} and {sb}")
    if 0 in sa or 0 in sb:
        raise ValueError(f"convolve: an empty input (shapes {sa} and {sb}) has no convolution")
    return apply(convolve, a, b, mode=mode, method=method)
