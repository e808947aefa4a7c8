"""Pytrees: nested containers whose leaves are arrays.

Tuples, lists, dicts (keys sorted), namedtuples and None are nodes; classes
join through `register_pytree_node`. A `PyTreeDef` is hashable and compares by
structure, so it can key caches (decision 7).
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, cast

from funcgrad.config import LRUCache

_registry: dict[type, tuple[Callable[[Any], tuple[Iterable[Any], Hashable]],
                            Callable[[Hashable, Iterable[Any]], Any]]] = {}


class PyTreeDef:
    """The structure of a pytree: node type, node data and children, or a leaf."""

    __slots__ = ("node", "data", "children", "num_leaves", "_hash")

    def __init__(self, node: type | None, data: Hashable, children: tuple[PyTreeDef, ...]):
        self.node = node
        self.data = data
        self.children = children
        self.num_leaves: int = 1 if node is None else sum(c.num_leaves for c in children)
        self._hash = hash((node, data, children))

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, PyTreeDef) and self._hash == other._hash
                and self.node is other.node and self.data == other.data
                and self.children == other.children)

    def __hash__(self) -> int:
        return self._hash

    def unflatten(self, leaves: Iterable[Any]) -> Any:
        it = iter(leaves)
        out = self._build(it)
        if next(it, _SENTINEL) is not _SENTINEL:
            raise ValueError(f"too many leaves for tree structure {self}")
        return out

    def _build(self, it: Any) -> Any:
        if self.node is None:
            try:
                return next(it)
            except StopIteration:
                raise ValueError(f"too few leaves for tree structure {self}") from None
        kids = [c._build(it) for c in self.children]
        return _registry[self.node][1](self.data, kids)

    def __repr__(self) -> str:
        if self.node is None:
            return "*"
        kids = ", ".join(map(repr, self.children))
        if self.node is tuple:
            return f"({kids}{',' if len(self.children) == 1 else ''})"
        if self.node is list:
            return f"[{kids}]"
        if self.node is dict:
            keys = cast(tuple[Any, ...], self.data)      # a dict node's data: its keys
            return "{" + ", ".join(f"{k!r}: {c!r}" for k, c in zip(keys, self.children,
                                                                   strict=True)) + "}"
        if self.node is type(None):
            return "None"
        return f"{self.node.__name__}({kids})"


_SENTINEL = object()
LEAF = PyTreeDef(None, None, ())


def register_pytree_node(nodetype: type,
                         flatten_fn: Callable[[Any], tuple[Iterable[Any], Hashable]],
                         unflatten_fn: Callable[[Hashable, Iterable[Any]], Any]) -> None:
    """Make `nodetype` a pytree node: ``flatten_fn(x) -> (children, aux_data)`` and
    ``unflatten_fn(aux_data, children) -> x``; aux_data must be hashable."""
    if nodetype in _registry:
        raise ValueError(f"{nodetype.__name__} is already registered as a pytree node")
    _registry[nodetype] = (flatten_fn, unflatten_fn)


register_pytree_node(tuple, lambda t: (t, None), lambda _, xs: tuple(xs))
register_pytree_node(list, lambda t: (t, None), lambda _, xs: list(xs))
register_pytree_node(type(None), lambda _: ((), None), lambda _d, _xs: None)


def _dict_flatten(d: dict[Any, Any]) -> tuple[list[Any], tuple[Any, ...]]:
    keys = tuple(sorted(d))
    return [d[k] for k in keys], keys


def _dict_unflatten(keys: Hashable, xs: Iterable[Any]) -> dict[Any, Any]:
    return dict(zip(cast(tuple[Any, ...], keys), xs, strict=True))


register_pytree_node(dict, _dict_flatten, _dict_unflatten)


def _node_of(x: Any) -> type | None:
    t = type(x)
    if t in _registry:
        return t
    if isinstance(x, tuple) and hasattr(x, "_fields"):   # namedtuple
        _registry[t] = (lambda nt: (tuple(nt), None), lambda _, xs: t(*xs))
        return t
    return None


def flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list[Any], PyTreeDef]:
    """(leaves, structure). The structure is first described as plain nested tuples
    (cheap to build and hash) and then interned, so equal structures are one
    PyTreeDef object and cache keys holding it compare by identity."""
    leaves: list[Any] = []
    sig = _signature(tree, leaves, is_leaf)
    treedef = _interned.lookup(sig)
    if treedef is None:
        treedef = _interned.put(sig, _from_signature(sig))
    return leaves, treedef


# Equal structures compare equal even when interned apart (after an eviction).
_interned = LRUCache("pytree structures")
_LIST_OR_TUPLE = (list, tuple)


def _signature(x: Any, leaves: list[Any], is_leaf: Callable[[Any], bool] | None) -> Any:
    """None for a leaf, else (node type, node data, children's signatures)."""
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return None
    t = type(x)
    if t in _LIST_OR_TUPLE:
        return (t, None, tuple([_signature(c, leaves, is_leaf) for c in x]))
    node = _node_of(x)
    if node is None:
        leaves.append(x)
        return None
    children, data = _registry[node][0](x)
    return (node, data, tuple([_signature(c, leaves, is_leaf) for c in children]))


def _from_signature(sig: Any) -> PyTreeDef:
    if sig is None:
        return LEAF
    node, data, kids = sig
    return PyTreeDef(node, data, tuple(_from_signature(k) for k in kids))


def unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    return treedef.unflatten(leaves)


def leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list[Any]:
    return flatten(tree, is_leaf)[0]


def structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> PyTreeDef:
    return flatten(tree, is_leaf)[1]


def map(f: Callable[..., Any], tree: Any, *rest: Any,   # noqa: A001 - JAX's public name
        is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """``f`` applied leafwise; `rest` are trees with the same structure as `tree`."""
    xs, treedef = flatten(tree, is_leaf)
    others = []
    for r in rest:
        ls, td = flatten(r, is_leaf)
        if td != treedef:
            raise ValueError(f"tree.map: trees have different structures: {treedef} and {td}")
        others.append(ls)
    return treedef.unflatten(f(*args) for args in zip(xs, *others, strict=True))


def all_leaves(iterable: Iterable[Any]) -> bool:
    return all(_node_of(x) is None for x in iterable)


def leaf_paths(tree: Any) -> list[str]:
    """A readable path per leaf (``[0]['w']``), in flatten order, for error messages."""
    out: list[str] = []

    def walk(x: Any, prefix: str) -> None:
        node = _node_of(x)
        if node is None:
            out.append(prefix)
            return
        children, data = _registry[node][0](x)
        children = list(children)
        if node is dict:
            for k, c in zip(cast(tuple[Any, ...], data), children, strict=True):
                walk(c, f"{prefix}[{k!r}]")
        elif hasattr(x, "_fields"):
            for k, c in zip(x._fields, children, strict=True):
                walk(c, f"{prefix}.{k}")
        else:
            for i, c in enumerate(children):
                walk(c, f"{prefix}[{i}]")

    walk(tree, "")
    return out


def _child_paths(td: PyTreeDef) -> list[str]:
    if td.node is dict:
        keys: Any = td.data     # a dict node's data: its sorted keys
        return [f"[{k!r}]" for k in keys]
    fields = getattr(td.node, "_fields", None)
    if fields is not None:
        return [f".{f}" for f in fields]
    return [f"[{i}]" for i in range(len(td.children))]


def broadcast_prefix(prefix: Any, value: Any, is_leaf: Callable[[Any], bool],
                     what: str, name: str) -> list[Any]:
    """One entry per leaf of `value`: `prefix` is a pytree prefix of it whose leaves
    (as `is_leaf` tells them) apply to whole subtrees (vmap's in_axes, jit's
    in_shardings). Raises ValueError naming where the structures differ; `what`
    names the prefix ("vmap: in_axes") and `name` the value, in the message."""
    leaves_, prefix_def = flatten(prefix, is_leaf=is_leaf)
    it = iter(leaves_)
    out: list[Any] = []

    def walk(sd: PyTreeDef, vd: PyTreeDef, path: str) -> None:
        if sd.node is None:
            out.extend([next(it)] * vd.num_leaves)
            return
        if sd.node is not vd.node or sd.data != vd.data or len(sd.children) != len(vd.children):
            short = what.split(": ")[-1]
            raise ValueError(
                f"{what} does not match the structure of {name}: at {name}{path} the "
                f"{short} entry has structure {sd!r} but the value has structure {vd!r}. "
                f"{short} must be a pytree prefix of it: each of its leaves applies to a "
                "whole subtree, containers must match the value's containers.")
        for s, v, p in zip(sd.children, vd.children, _child_paths(vd), strict=True):
            walk(s, v, path + p)

    walk(prefix_def, structure(value), "")
    return out
