"""Pytrees: nested tuples, lists, dicts (and named tuples) of leaves, flattened and rebuilt without recursion.

The transforms (``turunan.func``, ``turunan.vmap``) take and return pytrees of tensors, as JAX's do.

>>> leaves, tdef = tree_flatten({"a": 1.0, "b": (2.0, [3.0])})
>>> tree_unflatten(tdef, [x * 2 for x in leaves])
{'a': 2.0, 'b': (4.0, [6.0])}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._core import Tensor

__all__ = ["TreeDef", "tree_flatten", "tree_map", "tree_unflatten"]


# ---- pytrees ---------------------------------------------------------------------------------------------
class TreeDef:
    """The structure of a pytree: containers (tuple, list, dict, None) with the leaves taken out."""

    __slots__ = ("kind", "meta", "children", "n")

    def __init__(self, kind, meta, children, n) -> None:
        self.kind, self.meta, self.children, self.n = kind, meta, children, n

    def __eq__(self, other) -> bool:
        return (isinstance(other, TreeDef) and self.kind == other.kind and self.meta == other.meta
                and self.children == other.children)

    def __hash__(self) -> int:          # (a key of tn.jit's cache: a named tuple is another structure than a tuple)
        return hash((self.kind, self.meta, self.children))

    def __repr__(self) -> str:
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        inner = ", ".join(repr(c) for c in self.children)
        if self.kind == "dict":
            return "{" + ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.meta, self.children)) + "}"
        return f"[{inner}]" if self.kind is list else f"({inner})"


_LEAF = TreeDef("leaf", None, (), 1)


def _node_kind(x):
    if isinstance(x, (tuple, list)) and not isinstance(x, Tensor):
        return type(x)
    if isinstance(x, dict):
        return "dict"
    if x is None:
        return "none"
    return "leaf"


def tree_flatten(tree) -> tuple[list, TreeDef]:
    """Leaves (in order) and structure of a pytree, without recursion.

    >>> leaves, tdef = tree_flatten({"a": 1.0, "b": (2.0, [3.0])})
    >>> leaves
    [1.0, 2.0, 3.0]
    """
    leaves: list = []
    # explicit stack of (node, partially built children list, remaining items)
    kind = _node_kind(tree)
    if kind == "leaf":
        return [tree], _LEAF
    if kind == "none":
        return [], TreeDef("none", None, (), 0)
    root = [tree, kind, _items(tree, kind), []]
    stack = [root]
    result = None
    while stack:
        frame = stack[-1]
        node, kind, items, built = frame
        if items:
            child = items.pop()
            ck = _node_kind(child)
            if ck == "leaf":
                leaves.append(child)
                built.append(_LEAF)
            elif ck == "none":
                built.append(TreeDef("none", None, (), 0))
            else:
                stack.append([child, ck, _items(child, ck), []])
            continue
        stack.pop()
        meta = tuple(_dict_keys(node)) if kind == "dict" else (
            type(node) if kind not in (tuple, list) else None)
        td = TreeDef(kind, meta, tuple(built), sum(c.n for c in built))
        if stack:
            stack[-1][3].append(td)
        else:
            result = td
    return leaves, result


def _dict_keys(d: dict) -> list:
    try:
        return sorted(d)
    except TypeError:
        return list(d)


def _items(node, kind) -> list:
    """Children in reverse order (popped from the end gives them in order)."""
    if kind == "dict":
        return [node[k] for k in _dict_keys(node)][::-1]
    return list(node)[::-1]


def tree_unflatten(treedef: TreeDef, leaves) -> Any:
    """Rebuild a pytree of structure ``treedef`` from ``leaves`` (the inverse of ``tree_flatten``)."""
    leaves = list(leaves)
    if len(leaves) != treedef.n:
        raise ValueError(f"tree_unflatten: the structure has {treedef.n} leaves, got {len(leaves)}")
    pos = [0]

    def take():
        v = leaves[pos[0]]
        pos[0] += 1
        return v

    if treedef.kind == "leaf":
        return take()
    if treedef.kind == "none":
        return None
    # explicit stack: (treedef, built children)
    stack = [(treedef, [])]
    child_iters = [iter(treedef.children)]
    while stack:
        td, built = stack[-1]
        it = child_iters[-1]
        c = next(it, None)
        if c is not None:
            if c.kind == "leaf":
                built.append(take())
            elif c.kind == "none":
                built.append(None)
            else:
                stack.append((c, []))
                child_iters.append(iter(c.children))
            continue
        stack.pop()
        child_iters.pop()
        if td.kind == "dict":
            value = dict(zip(td.meta, built))
        elif td.kind is tuple or td.kind is list:
            value = td.kind(built)
        else:     # a named tuple or another tuple/list subclass
            value = td.kind(*built) if hasattr(td.kind, "_fields") else td.kind(built)
        if stack:
            stack[-1][1].append(value)
        else:
            return value
    return None


def tree_map(fn: Callable, tree, *rest) -> Any:
    """Apply ``fn`` to each leaf (and the matching leaves of ``rest``), keeping the structure."""
    leaves, td = tree_flatten(tree)
    others = [tree_flatten(r)[0] for r in rest]
    return tree_unflatten(td, [fn(x, *o) for x, *o in zip(leaves, *others)])
