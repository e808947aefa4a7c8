"""Pytrees: nested containers whose leaves are arrays (JAX's `jax.tree` surface).

Tuples, lists, dicts (keys sorted), namedtuples and None are nodes; classes
join through `register_pytree_node` (or its keyed, class, dataclass and static
forms). A `PyTreeDef` compares by structure and node data and is hashable even
when a node's data is not (equal-but-unhashable data hash alike and are told
apart by ``==``), so it can key caches (decision 7).

Key paths name where a leaf sits: `SequenceKey` for list and tuple items,
`DictKey` for dict entries, `GetAttrKey` for namedtuple and dataclass fields,
`FlattenedIndexKey` for children of nodes registered without keys. `keystr`
prints a path.
"""
from __future__ import annotations

import builtins
import dataclasses
import functools
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, NamedTuple, Self, TypeAlias, TypeVar, cast

from funcgrad.config import LRUCache

T = TypeVar("T")
Typ = TypeVar("Typ", bound=type[Any])


# ---------------------------------------------------------------------------
# key entries and paths


@dataclasses.dataclass(frozen=True, slots=True)
class GetAttrKey:
    """A field of a namedtuple or dataclass (``.name``)."""
    name: str

    def __str__(self) -> str:
        return f".{self.name}"


@dataclasses.dataclass(frozen=True, slots=True)
class DictKey:
    """A dict entry (``['key']``)."""
    key: Hashable

    def __str__(self) -> str:
        return f"[{self.key!r}]"


@dataclasses.dataclass(frozen=True, slots=True)
class SequenceKey:
    """An item of a list or tuple (``[idx]``)."""
    idx: int

    def __str__(self) -> str:
        return f"[{self.idx!r}]"


@dataclasses.dataclass(frozen=True, slots=True)
class FlattenedIndexKey:
    """The position of a child of a node registered without keys."""
    key: int

    def __str__(self) -> str:
        return f"[<flat index {self.key}>]"


KeyEntry: TypeAlias = GetAttrKey | DictKey | SequenceKey | FlattenedIndexKey | Any
KeyPath: TypeAlias = tuple[KeyEntry, ...]
IsLeaf: TypeAlias = Callable[[Any], bool] | None


def keystr(keys: KeyPath, *, simple: bool = False, separator: str = "") -> str:
    """A printable path: ``keystr((DictKey('a'), SequenceKey(0)))`` is ``"['a'][0]"``;
    with ``simple=True, separator='/'`` it is ``"a/0"`` (shorter, but a dict key 0
    and a list index 0 then read alike)."""
    return separator.join(_simple_str(k) if simple else str(k) for k in keys)


def _simple_str(key: Any) -> str:
    match key:
        case GetAttrKey(name=v) | DictKey(key=v) | SequenceKey(idx=v) | FlattenedIndexKey(key=v):
            return str(v)
    return str(key)


# ---------------------------------------------------------------------------
# the registry

_Flatten = Callable[[Any], tuple[Iterable[Any], Any]]
_FlattenWithKeys = Callable[[Any], tuple[Iterable[tuple[KeyEntry, Any]], Any]]
_Unflatten = Callable[[Any, Iterable[Any]], Any]


class _Node(NamedTuple):
    to_iter: _Flatten
    from_iter: _Unflatten
    with_keys: _FlattenWithKeys | None      # None: children get FlattenedIndexKeys


_registry: dict[type, _Node] = {}


def register_pytree_node(nodetype: type[T], flatten_func: Callable[[T], tuple[Iterable[Any], Any]],
                         unflatten_func: Callable[[Any, Iterable[Any]], T],
                         flatten_with_keys_func: Callable[[T], tuple[Iterable[tuple[KeyEntry, Any]],
                                                                     Any]] | None = None) -> None:
    """Make `nodetype` a pytree node: ``flatten_func(x) -> (children, aux_data)`` and
    ``unflatten_func(aux_data, children) -> x``. aux_data is static (it keys jit's
    cache): it is compared with ``==`` and need not be hashable.
    ``flatten_with_keys_func(x) -> ((key, child) pairs, aux_data)`` names the
    children in key paths; without it they are `FlattenedIndexKey` s.

    Raises:
        ValueError: `nodetype` is already a node type.
    """
    if not isinstance(nodetype, type):
        raise TypeError(f"register_pytree_node expects a type, got {nodetype!r}")
    if nodetype in _registry:
        raise ValueError(f"{nodetype.__name__} is already registered as a pytree node")
    _registry[nodetype] = _Node(cast(_Flatten, flatten_func), unflatten_func,
                                cast(_FlattenWithKeys | None, flatten_with_keys_func))


def register_pytree_with_keys(
        nodetype: type[T],
        flatten_with_keys: Callable[[T], tuple[Iterable[tuple[KeyEntry, Any]], Any]],
        unflatten_func: Callable[[Any, Iterable[Any]], T],
        flatten_func: Callable[[T], tuple[Iterable[Any], Any]] | None = None) -> None:
    """`register_pytree_node` given the keyed flatten; the plain one, when not
    given, drops the keys."""
    def drop_keys(x: T) -> tuple[list[Any], Any]:
        pairs, aux = flatten_with_keys(x)
        return [c for _, c in pairs], aux
    register_pytree_node(nodetype, flatten_func or drop_keys, unflatten_func, flatten_with_keys)


def register_pytree_node_class(cls: Typ) -> Typ:
    """Class decorator: ``x.tree_flatten() -> (children, aux_data)`` and the
    classmethod ``cls.tree_unflatten(aux_data, children)``."""
    register_pytree_node(cls, lambda x: x.tree_flatten(), cls.tree_unflatten)
    return cls


def register_pytree_with_keys_class(cls: Typ) -> Typ:
    """Class decorator: ``x.tree_flatten_with_keys()`` and ``cls.tree_unflatten``
    (and ``x.tree_flatten`` where the class defines it)."""
    plain = (lambda x: x.tree_flatten()) if hasattr(cls, "tree_flatten") else None
    register_pytree_with_keys(cls, lambda x: x.tree_flatten_with_keys(), cls.tree_unflatten,
                              plain)
    return cls


def register_dataclass(nodetype: Typ, data_fields: Sequence[str] | None = None,
                       meta_fields: Sequence[str] | None = None,
                       drop_fields: Sequence[str] = ()) -> Typ:
    """Make a dataclass-like type a node: `data_fields` are children (named by
    `GetAttrKey`), `meta_fields` static aux data; the type is rebuilt with
    ``nodetype(**fields)``. For a dataclass both may be left out: fields are data
    unless declared with ``tree.static()`` (``metadata={'static': True}``);
    `drop_fields` names init fields to leave out. Usable as a decorator.

    Raises:
        TypeError: only one of data_fields/meta_fields given, or neither for a
            type that is not a dataclass.
        ValueError: the fields are not exactly the dataclass's init fields, or overlap.
    """
    if data_fields is None or meta_fields is None:
        if (data_fields is None) != (meta_fields is None):
            raise TypeError("register_dataclass: give both data_fields and meta_fields, or "
                            f"neither (for a dataclass); got data_fields={data_fields!r}, "
                            f"meta_fields={meta_fields!r}")
        if not dataclasses.is_dataclass(nodetype):
            raise TypeError(f"register_dataclass: {nodetype.__name__} is not a dataclass, so "
                            "data_fields and meta_fields must be given")
        fields = [f for f in dataclasses.fields(nodetype) if f.init and f.name not in drop_fields]
        data_fields = [f.name for f in fields if not f.metadata.get("static", False)]
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
    data, meta = tuple(data_fields), tuple(meta_fields)
    if overlap := set(data) & set(meta):
        raise ValueError(f"register_dataclass: data_fields and meta_fields overlap in "
                         f"{sorted(overlap)}; name each field once")
    if dataclasses.is_dataclass(nodetype):
        init = {f.name for f in dataclasses.fields(nodetype) if f.init} - set(drop_fields)
        missing, extra = init - {*data, *meta}, {*data, *meta} - init
        if missing or extra:
            raise ValueError(
                f"register_dataclass: data_fields and meta_fields must be exactly the init "
                f"fields of {nodetype.__name__}; missing {sorted(missing)}, not init fields "
                f"{sorted(extra)} (list fields to leave out in drop_fields)")

    def flatten_with_keys(x: Any) -> tuple[list[tuple[KeyEntry, Any]], tuple[Any, ...]]:
        return ([(GetAttrKey(n), getattr(x, n)) for n in data],
                tuple(getattr(x, n) for n in meta))

    def unflatten(aux: Any, children: Iterable[Any]) -> Any:
        return nodetype(**dict(zip(meta, aux, strict=True)),
                        **dict(zip(data, children, strict=True)))

    register_pytree_with_keys(
        nodetype, flatten_with_keys, unflatten,
        lambda x: ([getattr(x, n) for n in data], tuple(getattr(x, n) for n in meta)))
    return nodetype


def register_static(cls: Typ) -> Typ:
    """Make `cls` a node with no children: its instances are static aux data
    (jit keys its cache on them instead of tracing them). A decorator."""
    register_pytree_with_keys(cls, lambda x: ((), x), lambda x, _: x)
    return cls


def static(**kwargs: Any) -> Any:
    """``dataclasses.field(**kwargs)`` marked static for `register_dataclass`."""
    metadata = {"static": True, **(kwargs.pop("metadata", None) or {})}
    return dataclasses.field(metadata=metadata, **kwargs)


def _sequence_keys(xs: Sequence[Any]) -> tuple[list[tuple[KeyEntry, Any]], None]:
    return [(SequenceKey(i), x) for i, x in enumerate(xs)], None


def _dict_flatten(d: dict[Any, Any]) -> tuple[list[Any], tuple[Any, ...]]:
    keys = tuple(sorted(d))
    return [d[k] for k in keys], keys


def _dict_flatten_with_keys(d: dict[Any, Any]) -> tuple[list[tuple[KeyEntry, Any]],
                                                        tuple[Any, ...]]:
    keys = tuple(sorted(d))
    return [(DictKey(k), d[k]) for k in keys], keys


def _dict_unflatten(keys: Any, xs: Iterable[Any]) -> dict[Any, Any]:
    return dict(zip(keys, xs, strict=True))


register_pytree_node(tuple, lambda t: (t, None), lambda _, xs: tuple(xs), _sequence_keys)
register_pytree_node(list, lambda t: (t, None), lambda _, xs: list(xs), _sequence_keys)
register_pytree_node(type(None), lambda _: ((), None), lambda _d, _xs: None,
                     lambda _: ((), None))
register_pytree_node(dict, _dict_flatten, _dict_unflatten, _dict_flatten_with_keys)


def _is_namedtuple(t: type) -> bool:
    return issubclass(t, tuple) and hasattr(t, "_fields")


def _node_of(x: Any) -> type | None:
    t = type(x)
    if t in _registry:
        return t
    if _is_namedtuple(t):
        fields = t._fields
        _registry[t] = _Node(lambda nt: (tuple(nt), None), lambda _, xs: t(*xs),
                             lambda nt: ([(GetAttrKey(f), v) for f, v in zip(fields, nt,
                                                                            strict=True)], None))
        return t
    return None


def is_tree_node(typ: type) -> bool:
    """Whether instances of `typ` are pytree nodes (rather than leaves)."""
    return typ in _registry or _is_namedtuple(typ)


# ---------------------------------------------------------------------------
# structures


def _data_equal(a: Any, b: Any) -> bool:
    """Node data compared by ``==``; data whose ``==`` gives no truth value (arrays)
    count as equal only to themselves."""
    if a is b:
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _data_hash(data: Any) -> int:
    try:
        return hash(data)
    except TypeError:       # unhashable data: equal values must hash alike, so only the type
        return hash(type(data))


class _Children(tuple):  # type: ignore[type-arg]
    """A node's child structures. NB: JAX's `PyTreeDef.children()` is a method;
    this tuple is also callable (returning a list), so both spellings work."""

    __slots__ = ()

    def __call__(self) -> list[PyTreeDef]:
        return list(self)


class PyTreeDef:
    """The structure of a pytree: node type, node data and children, or a leaf.
    Equal structures compare (and hash) equal; NB: the repr is JAX's without the
    ``PyTreeDef(...)`` wrapper."""

    __slots__ = ("node", "data", "children", "num_leaves", "num_nodes", "_hash")

    def __init__(self, node: type | None, data: Any, children: Iterable[PyTreeDef]):
        self.node = node
        self.data = data
        self.children = _Children(children)
        self.num_leaves: int = 1 if node is None else sum(c.num_leaves for c in self.children)
        self.num_nodes: int = 1 + sum(c.num_nodes for c in self.children)
        self._hash = hash((node, _data_hash(data), self.children))

    def __eq__(self, other: object) -> bool:
        return self is other or (
            isinstance(other, PyTreeDef) and self._hash == other._hash
            and self.node is other.node and _data_equal(self.data, other.data)
            and self.children == other.children)

    def __hash__(self) -> int:
        return self._hash

    def node_data(self) -> tuple[type, Any] | None:
        """(node type, node data), or None for a leaf."""
        return None if self.node is None else (self.node, self.data)

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
        return _registry[self.node].from_iter(self.data, kids)

    def flatten_up_to(self, xs: Any) -> list[Any]:
        """The subtrees of `xs` at this structure's leaves (`xs` has this structure
        as a prefix). Raises ValueError naming where `xs` differs."""
        out: list[Any] = []
        self._up_to(xs, out, "")
        return out

    def _up_to(self, x: Any, out: list[Any], path: str) -> None:
        if self.node is None:
            out.append(x)
            return
        node = _node_of(x)
        where = f"at tree{path}" if path else "at the root"
        if node is not self.node:
            raise ValueError(f"flatten_up_to: expected a {_node_name(self.node)} {where}, got "
                             f"{type(x).__name__} {_short(x)}; the tree must have structure "
                             f"{self} as a prefix")
        children, data = _registry[node].to_iter(x)
        children = list(children)
        if len(children) != len(self.children) or not _data_equal(data, self.data):
            raise ValueError(f"flatten_up_to: {_node_name(node)} {where} has structure "
                             f"{structure(x)}, expected {self} (same node data and number "
                             "of children)")
        for c, k, p in zip(self.children, children, _child_paths(self), strict=True):
            c._up_to(k, out, path + p)

    def compose(self, inner: PyTreeDef) -> PyTreeDef:
        """The structure with `inner` in place of each leaf."""
        if self.node is None:
            return inner
        return PyTreeDef(self.node, self.data, (c.compose(inner) for c in self.children))

    def __repr__(self) -> str:
        if self.node is None:
            return "*"
        kids = ", ".join(builtins.map(repr, self.children))
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


def _node_name(node: type) -> str:
    return "None" if node is type(None) else node.__name__


def _short(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


_SENTINEL = object()
LEAF = PyTreeDef(None, None, ())


class _ByEquality:
    """Unhashable node data inside a structure's signature: one hash per type, told
    apart by ``==``, so that two different dicts never share a cache entry."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def __hash__(self) -> int:
        return hash(type(self.value))

    def __eq__(self, other: object) -> bool:
        return type(other) is _ByEquality and _data_equal(self.value, other.value)


# Equal structures compare equal even when interned apart (after an eviction).
_interned = LRUCache("pytree structures")
_LIST_OR_TUPLE = (list, tuple)


def _intern(sig: Any) -> PyTreeDef:
    """The one PyTreeDef of a signature. The structure is first described as plain
    nested tuples (cheap to build and hash) and then interned, so equal
    structures are one PyTreeDef object and cache keys holding it compare by
    identity."""
    try:
        treedef = _interned.lookup(sig)
    except TypeError:                   # some node data is unhashable
        sig = _hashable(sig)
        treedef = _interned.lookup(sig)
    if treedef is None:
        treedef = _interned.put(sig, _from_signature(sig))
    return cast(PyTreeDef, treedef)


def _hashable(sig: Any) -> Any:
    if sig is None:
        return None
    node, data, kids = sig
    try:
        hash(data)
    except TypeError:
        data = _ByEquality(data)
    return (node, data, tuple([_hashable(k) for k in kids]))


def _signature(x: Any, leaves: list[Any], is_leaf: IsLeaf) -> Any:
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
    children, data = _registry[node].to_iter(x)
    return (node, data, tuple([_signature(c, leaves, is_leaf) for c in children]))


def _keyed_children(node: type, x: Any) -> tuple[list[tuple[KeyEntry, Any]], Any]:
    entry = _registry[node]
    if entry.with_keys is not None:
        pairs, data = entry.with_keys(x)
        return list(pairs), data
    children, data = entry.to_iter(x)
    return [(FlattenedIndexKey(i), c) for i, c in enumerate(children)], data


def _path_signature(x: Any, path: KeyPath, out: list[tuple[KeyPath, Any]],
                    is_leaf: Callable[..., bool] | None, takes_path: bool) -> Any:
    """`_signature`, collecting (key path, leaf) pairs."""
    if is_leaf is not None and (is_leaf(path, x) if takes_path else is_leaf(x)):
        out.append((path, x))
        return None
    node = _node_of(x)
    if node is None:
        out.append((path, x))
        return None
    pairs, data = _keyed_children(node, x)
    return (node, data, tuple([_path_signature(c, (*path, k), out, is_leaf, takes_path)
                               for k, c in pairs]))


def _from_signature(sig: Any) -> PyTreeDef:
    if sig is None:
        return LEAF
    node, data, kids = sig
    if type(data) is _ByEquality:
        data = data.value
    return PyTreeDef(node, data, tuple(_from_signature(k) for k in kids))


# ---------------------------------------------------------------------------
# jax.tree


def flatten(tree: Any, is_leaf: IsLeaf = None) -> tuple[list[Any], PyTreeDef]:
    """(leaves, structure); `is_leaf(x)` true stops the descent at x."""
    leaves_: list[Any] = []
    return leaves_, _intern(_signature(tree, leaves_, is_leaf))


def flatten_with_path(tree: Any, is_leaf: Callable[..., bool] | None = None,
                      is_leaf_takes_path: bool = False
                      ) -> tuple[list[tuple[KeyPath, Any]], PyTreeDef]:
    """([(key path, leaf)], structure). With `is_leaf_takes_path`, `is_leaf` is
    called as ``is_leaf(path, x)``. Example::

        flatten_with_path({'a': [1, 2]})[0]
        # [((DictKey(key='a'), SequenceKey(idx=0)), 1), ((DictKey(key='a'), SequenceKey(idx=1)), 2)]
    """
    pairs: list[tuple[KeyPath, Any]] = []
    return pairs, _intern(_path_signature(tree, (), pairs, is_leaf, is_leaf_takes_path))


def unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    return treedef.unflatten(leaves)


def leaves(tree: Any, is_leaf: IsLeaf = None) -> list[Any]:
    return flatten(tree, is_leaf)[0]


def leaves_with_path(tree: Any, is_leaf: Callable[..., bool] | None = None,
                     is_leaf_takes_path: bool = False) -> list[tuple[KeyPath, Any]]:
    return flatten_with_path(tree, is_leaf, is_leaf_takes_path)[0]


def structure(tree: Any, is_leaf: IsLeaf = None) -> PyTreeDef:
    return flatten(tree, is_leaf)[1]


def _leaves_up_to(treedef: PyTreeDef, other: Any, is_leaf: IsLeaf, what: str) -> list[Any]:
    """The leaves of `other` (same structure) or its subtrees at treedef's leaves
    (treedef a prefix of it)."""
    ls, td = flatten(other, is_leaf)
    if td == treedef:
        return ls
    try:
        return treedef.flatten_up_to(other)
    except ValueError as e:
        raise ValueError(f"{what}: trees have different structures: {treedef} and {td}; "
                         f"each further tree must have the first one's structure, or it as "
                         f"a prefix ({e})") from None


def map(f: Callable[..., Any], tree: Any, *rest: Any,   # noqa: A001 - JAX's public name
        is_leaf: IsLeaf = None) -> Any:
    """``f`` applied leafwise; each of `rest` has the structure of `tree` or it as a
    prefix (then f gets the subtrees at tree's leaves)."""
    xs, treedef = flatten(tree, is_leaf)
    others = [_leaves_up_to(treedef, r, is_leaf, "tree.map") for r in rest]
    return treedef.unflatten(f(*args) for args in zip(xs, *others, strict=True))


def map_with_path(f: Callable[..., Any], tree: Any, *rest: Any,
                  is_leaf: Callable[..., bool] | None = None,
                  is_leaf_takes_path: bool = False) -> Any:
    """`map` with ``f(key_path, leaf, *rest_leaves)``."""
    pairs, treedef = flatten_with_path(tree, is_leaf, is_leaf_takes_path)
    others = [_leaves_up_to(treedef, r, None, "tree.map_with_path") for r in rest]
    return treedef.unflatten(f(p, x, *o) for (p, x), *o in zip(pairs, *others, strict=True))


class _Unspecified:
    """The default of `reduce`'s initializer and `reduce_associative`'s identity."""


_UNSPECIFIED = _Unspecified()


def reduce(function: Callable[[T, Any], T], tree: Any,   # noqa: A001
           initializer: T | _Unspecified = _UNSPECIFIED, is_leaf: IsLeaf = None) -> T:
    """``functools.reduce`` over the leaves."""
    if isinstance(initializer, _Unspecified):
        return functools.reduce(function, leaves(tree, is_leaf))
    return functools.reduce(function, leaves(tree, is_leaf), initializer)


def reduce_associative(operation: Callable[[T, T], T], tree: Any, *,
                       identity: T | _Unspecified = _UNSPECIFIED, is_leaf: IsLeaf = None) -> T:
    """Reduce the leaves pairwise as a balanced tree (depth log n), for an
    associative `operation`; `identity` is the result for no leaves."""
    xs = leaves(tree, is_leaf)
    if not xs:
        if isinstance(identity, _Unspecified):
            raise TypeError("tree.reduce_associative: the tree has no leaves; pass identity= "
                            "to say what an empty reduction gives")
        return identity

    def halves(lo: int, hi: int) -> T:
        if hi - lo == 1:
            return cast(T, xs[lo])
        mid = (lo + hi) // 2
        return operation(halves(lo, mid), halves(mid, hi))
    return halves(0, len(xs))


def all(tree: Any, *, is_leaf: IsLeaf = None) -> bool:  # noqa: A001
    """Whether every leaf is truthy."""
    return builtins.all(leaves(tree, is_leaf))


def all_leaves(iterable: Iterable[Any], is_leaf: IsLeaf = None) -> bool:
    """Whether every element is a leaf (not a node, or `is_leaf` says so)."""
    return builtins.all((is_leaf is not None and is_leaf(x)) or _node_of(x) is None
                        for x in iterable)


def transpose(outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None,
              pytree_to_transpose: Any) -> Any:
    """Turn a tree of structure outer-of-inner into one of inner-of-outer
    (``[(1, 2), (3, 4)]`` -> ``([1, 3], [2, 4])``); `inner_treedef` None: the
    structure of the first inner subtree."""
    flat, treedef = flatten(pytree_to_transpose)
    if inner_treedef is None:
        inner_treedef = structure(outer_treedef.flatten_up_to(pytree_to_transpose)[0])
    n_in, n_out = inner_treedef.num_leaves, outer_treedef.num_leaves
    if treedef.num_leaves != n_in * n_out:
        raise TypeError(f"tree.transpose: the tree has structure {treedef} with "
                        f"{treedef.num_leaves} leaves, but outer {outer_treedef} around inner "
                        f"{inner_treedef} is {outer_treedef.compose(inner_treedef)} with "
                        f"{n_in * n_out}; pass the structures of the tree's two levels")
    # flat is outer-major: leaf j of outer leaf i sits at i * n_in + j
    return inner_treedef.unflatten(outer_treedef.unflatten(flat[j::n_in]) for j in range(n_in))


def broadcast(prefix_tree: Any, full_tree: Any, is_leaf: IsLeaf = None) -> Any:
    """`full_tree`'s structure, each leaf the `prefix_tree` leaf above it."""
    return structure(full_tree).unflatten(
        broadcast_prefix(prefix_tree, full_tree, is_leaf, "tree.broadcast: prefix_tree",
                         "full_tree"))


# ---------------------------------------------------------------------------
# one level


def flatten_one_level(tree: Any) -> tuple[Iterable[Any], Any]:
    """(children, node data) of a node. Raises ValueError for a leaf. NB: a
    namedtuple's node data is None (JAX gives its type)."""
    node = _node_of(tree)
    if node is None:
        raise ValueError(f"can't tree-flatten type: {type(tree)}")
    return _registry[node].to_iter(tree)


def flatten_one_level_with_keys(tree: Any) -> tuple[Iterable[tuple[KeyEntry, Any]], Any]:
    """((key, child) pairs, node data) of a node. Raises ValueError for a leaf."""
    node = _node_of(tree)
    if node is None:
        raise ValueError(f"can't tree-flatten type: {type(tree)}")
    return _keyed_children(node, tree)


# ---------------------------------------------------------------------------
# Partial


class _Wrapped:
    """A partial held whole as another Partial's function (so its arguments stay
    static rather than being merged into the outer one's)."""

    __slots__ = ("partial",)

    def __init__(self, partial: functools.partial[Any]):
        self.partial = partial

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.partial(*args, **kwargs)

    def __eq__(self, other: object) -> bool:
        return type(other) is _Wrapped and other.partial == self.partial

    def __hash__(self) -> int:
        return hash(self.partial)

    def __repr__(self) -> str:
        return repr(self.partial)


class Partial(functools.partial[Any]):
    """``functools.partial`` as a pytree: the function is static node data, the
    bound arguments are children, so a Partial can be passed into (and returned
    from) jit, vmap and grad, its arguments traced. Example::

        add_one = Partial(fnp.add, 1.0)
        fg.jit(lambda f, x: f(x))(add_one, 2.0)      # 3.0
    """

    def __new__(cls, func: Callable[..., Any], *args: Any, **kw: Any) -> Self:
        if isinstance(func, functools.partial):
            func = _Wrapped(func)
        return super().__new__(cls, func, *args, **kw)


def _partial_unflatten(func: Callable[..., Any], children: Iterable[Any]) -> Partial:
    args, keywords = children
    return Partial(func, *args, **keywords)


register_pytree_node(Partial, lambda p: ((p.args, p.keywords), p.func), _partial_unflatten)


# ---------------------------------------------------------------------------
# paths and prefixes for funcgrad's own error messages


def _path_str(path: KeyPath) -> str:
    return "".join(f"[{k.key}]" if type(k) is FlattenedIndexKey else str(k) for k in path)


def leaf_paths(tree: Any) -> list[str]:
    """A readable path per leaf (``[0]['w']``), in flatten order, for error messages."""
    return [_path_str(p) for p, _ in leaves_with_path(tree)]


def _child_paths(td: PyTreeDef) -> list[str]:
    if td.node is dict:
        keys: Any = td.data     # a dict node's data: its sorted keys
        return [f"[{k!r}]" for k in keys]
    fields = getattr(td.node, "_fields", None)
    if fields is not None:
        return [f".{f}" for f in fields]
    return [f"[{i}]" for i in range(len(td.children))]


def broadcast_prefix(prefix: Any, value: Any, is_leaf: IsLeaf,
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
        if (sd.node is not vd.node or not _data_equal(sd.data, vd.data)
                or len(sd.children) != len(vd.children)):
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
