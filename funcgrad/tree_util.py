"""JAX's `jax.tree_util` names over funcgrad's pytrees (`funcgrad.tree`).

The ``tree_*`` functions are `funcgrad.tree`'s under their older names;
`PyTreeDef` is the structure type, `Partial` a pytree ``functools.partial``,
the ``*Key`` classes the entries of key paths, and `default_registry` the one
registry of node types that funcgrad keeps.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from funcgrad import tree as _tree
from funcgrad.tree import (DictKey, FlattenedIndexKey, GetAttrKey, KeyEntry, KeyPath, Partial,
                           PyTreeDef, SequenceKey, all_leaves, flatten_one_level,
                           flatten_one_level_with_keys, is_tree_node, keystr, register_dataclass,
                           register_pytree_node, register_pytree_node_class,
                           register_pytree_with_keys, register_pytree_with_keys_class,
                           register_static)

__all__ = ["DictKey", "FlattenedIndexKey", "GetAttrKey", "KeyEntry", "KeyPath", "Partial",
           "PyTreeDef", "SequenceKey", "all_leaves", "default_registry", "flatten_one_level",
           "flatten_one_level_with_keys", "is_tree_node", "keystr", "register_dataclass",
           "register_pytree_node", "register_pytree_node_class", "register_pytree_with_keys",
           "register_pytree_with_keys_class", "register_static", "tree_all", "tree_broadcast",
           "tree_flatten", "tree_flatten_with_path", "tree_leaves", "tree_leaves_with_path",
           "tree_map", "tree_map_with_path", "tree_reduce", "tree_reduce_associative",
           "tree_structure", "tree_transpose", "tree_unflatten", "treedef_children",
           "treedef_is_leaf", "treedef_tuple"]

tree_all = _tree.all
tree_broadcast = _tree.broadcast
tree_flatten = _tree.flatten
tree_flatten_with_path = _tree.flatten_with_path
tree_leaves = _tree.leaves
tree_leaves_with_path = _tree.leaves_with_path
tree_map = _tree.map
tree_map_with_path = _tree.map_with_path
tree_reduce = _tree.reduce
tree_reduce_associative = _tree.reduce_associative
tree_structure = _tree.structure
tree_transpose = _tree.transpose
tree_unflatten = _tree.unflatten


def treedef_children(treedef: PyTreeDef) -> list[PyTreeDef]:
    """The structures of the root's children (none for a leaf)."""
    return list(treedef.children)


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    """Whether the structure has one node: a leaf, or a node without children
    (``None``, ``()``)."""
    return treedef.num_nodes == 1


def treedef_tuple(treedefs: Iterable[PyTreeDef]) -> PyTreeDef:
    """The structure of a tuple of trees of the given structures."""
    return PyTreeDef(tuple, None, tuple(treedefs))


class PyTreeRegistry:
    """The registry of pytree node types, as an object (JAX's `default_registry`).
    funcgrad keeps one registry: these methods are `funcgrad.tree`'s functions."""

    def flatten(self, tree: Any, leaf_predicate: Callable[[Any], bool] | None = None
                ) -> tuple[list[Any], PyTreeDef]:
        return _tree.flatten(tree, leaf_predicate)

    def flatten_with_path(self, tree: Any,
                          leaf_predicate: Callable[[Any, Any], bool] | None = None
                          ) -> tuple[list[tuple[KeyPath, Any]], PyTreeDef]:
        """NB: `leaf_predicate` is called as ``leaf_predicate(path, x)``."""
        return _tree.flatten_with_path(tree, leaf_predicate, is_leaf_takes_path=True)

    def flatten_one_level(self, tree: Any) -> tuple[Iterable[Any], Any] | None:
        """(children, node data), or None for a leaf."""
        return flatten_one_level(tree) if is_tree_node(type(tree)) else None

    def flatten_one_level_with_keys(self, tree: Any
                                    ) -> tuple[Iterable[tuple[KeyEntry, Any]], Any] | None:
        return flatten_one_level_with_keys(tree) if is_tree_node(type(tree)) else None

    def is_node(self, type: type) -> bool:  # noqa: A002 - JAX's parameter name
        return is_tree_node(type)

    def register_node(self, type: type, to_iterable: Callable[[Any], Any],  # noqa: A002
                      from_iterable: Callable[[Any, Any], Any],
                      to_iterable_with_keys: Callable[[Any], Any] | None = None) -> None:
        register_pytree_node(type, to_iterable, from_iterable, to_iterable_with_keys)

    def register_dataclass_node(self, type: type, data_fields: Sequence[str],  # noqa: A002
                                meta_fields: Sequence[str], /) -> None:
        register_dataclass(type, data_fields, meta_fields)


default_registry = PyTreeRegistry()
