"""``turunan.extend``: HIPS autograd's spelling of a user's own primitive, on the derivative table's machinery.

``primitive(f)`` makes ``f`` (a function of arrays) a row of its own: called on Tensors it runs ``f`` on their
values and records one node, as every row of the table does; called on anything else it is ``f``. ``defvjp``
gives its reverse rules, one per positional argument, in HIPS's shape: ``vjpmaker(ans, *args, **kwargs)``
returns the function ``g -> cotangent``; ``None`` for an argument whose gradient is zero. ``defjvp`` gives its
forward rules: ``jvpmaker(g, ans, *args, **kwargs)`` returns the output's tangent for argument ``g``'s tangent.
Rules written with ``turunan.numpy`` run on arrays in a plain backward and on Tensors when the backward is
recorded, so gradients of gradients come for free, as with the table's own rows.

>>> import turunan as tn
>>> import turunan.numpy as tnp
>>> from turunan.extend import primitive, defvjp
>>> @primitive
... def logsumexp(x):
...     m = tnp.max(x)
...     return m + tnp.log(tnp.sum(tnp.exp(x - m)))
>>> defvjp(logsumexp, lambda ans, x: lambda g: g * tnp.exp(x - ans))
>>> tn.grad(logsumexp)(tnp.array([0.0, 0.0]))
tensor([0.5, 0.5], dtype=turunan.float64)
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from ._core import Primitive, Tensor

__all__ = ["primitive", "defvjp", "defjvp", "defvjp_argnum", "defjvp_argnum", "def_linear"]


class _Rules:
    """The rules a user gave one primitive, by argument number (HIPS's ``defvjp`` may be called again)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.vjps: dict[int, Callable | None] = {}
        self.jvps: dict[int, Callable | None] = {}
        self.vjp_argnum: Callable | None = None
        self.jvp_argnum: Callable | None = None

    def vjp(self, g, ans, *args, index, **kwargs):
        if self.vjp_argnum is not None:
            return self.vjp_argnum(index, ans, args, kwargs)(g)
        if index not in self.vjps:
            raise NotImplementedError(f"no reverse rule for argument {index} of the primitive {self.name}: give one "
                                      f"with turunan.extend.defvjp({self.name}, ...)")
        maker = self.vjps[index]
        return None if maker is None else maker(ans, *args, **kwargs)(g)

    def jvp(self, tangents, ans, *args, **kwargs):
        out = None
        for index, t in enumerate(tangents):
            if t is None:
                continue
            if self.jvp_argnum is not None:
                part = self.jvp_argnum(index, t, ans, args, kwargs)
            elif index in self.jvps:
                maker = self.jvps[index]
                part = None if maker is None else maker(t, ans, *args, **kwargs)
            else:
                raise NotImplementedError(f"no forward rule for argument {index} of the primitive {self.name}: give "
                                          f"one with turunan.extend.defjvp({self.name}, ...)")
            if part is not None:
                out = part if out is None else out + part
        return out


def primitive(f: Callable) -> Callable:
    """``f`` as a primitive: recorded as one node when called on Tensors (its rules come from ``defvjp`` and
    ``defjvp``); plain ``f`` on anything else. Keyword arguments are parameters, never differentiated."""
    rules = _Rules(getattr(f, "__name__", "primitive"))

    def kernel(*args, **kwargs):
        out = f(*args, **kwargs)
        return out._d if isinstance(out, Tensor) else out   # f written with turunan.numpy makes Tensors

    prim = Primitive(rules.name, kernel, [rules.vjp], rules.jvp, variadic=True)

    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        return prim(*args, **kwargs)

    wrapped._rules = rules          # what defvjp/defjvp fill in
    wrapped.prim = prim
    return wrapped


def _rules_of(fun) -> _Rules:
    rules = getattr(fun, "_rules", None)
    if not isinstance(rules, _Rules):
        raise TypeError(f"{getattr(fun, '__name__', fun)!r} is not a turunan.extend.primitive: wrap the function "
                        "with @primitive before giving it rules")
    return rules


def _numbered(makers: tuple, argnums) -> dict:
    argnums = range(len(makers)) if argnums is None else tuple(argnums)
    if len(argnums) != len(makers):
        raise ValueError(f"{len(makers)} rules given for argnums {tuple(argnums)}: give one rule per argument number")
    return dict(zip(argnums, makers))


def defvjp(fun, *vjpmakers, argnums=None) -> None:
    """Reverse rules of a ``primitive``: ``vjpmaker(ans, *args, **kwargs)`` returns ``g -> cotangent`` for its
    argument (positional, in order, or those of ``argnums``); ``None`` declares a zero gradient."""
    _rules_of(fun).vjps.update(_numbered(vjpmakers, argnums))


def defjvp(fun, *jvpmakers, argnums=None) -> None:
    """Forward rules of a ``primitive``: ``jvpmaker(g, ans, *args, **kwargs)`` is the output's tangent for the
    tangent ``g`` of its argument; ``None`` declares that argument's tangent has no effect."""
    _rules_of(fun).jvps.update(_numbered(jvpmakers, argnums))


def defvjp_argnum(fun, vjpmaker) -> None:
    """One reverse rule for every argument: ``vjpmaker(argnum, ans, args, kwargs)`` returns ``g -> cotangent``."""
    _rules_of(fun).vjp_argnum = vjpmaker


def defjvp_argnum(fun, jvpmaker) -> None:
    """One forward rule for every argument: ``jvpmaker(argnum, g, ans, args, kwargs)`` returns the tangent."""
    _rules_of(fun).jvp_argnum = jvpmaker


def def_linear(fun) -> None:
    """``fun`` is linear in each of its positional arguments (multilinear): its forward rules are ``fun`` itself
    with the tangent in the argument's place, as HIPS's ``def_linear``. Reverse rules still come from ``defvjp``."""
    def jvp(argnum, g, ans, args, kwargs):
        return fun(*args[:argnum], g, *args[argnum + 1:], **kwargs)
    defjvp_argnum(fun, jvp)
