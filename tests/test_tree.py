"""Pytrees: flatten/unflatten round trips, registered classes, namedtuples,
structure equality and hashing, tree.map over several trees, and errors."""
from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import tree

Pair = namedtuple("Pair", ["first", "second"])


class Box:
    """A registered node with hashable aux data."""

    def __init__(self, value: Any, label: str):
        self.value = value
        self.label = label

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Box) and self.label == other.label and self.value == other.value


tree.register_pytree_node(Box, lambda b: ((b.value,), b.label),
                          lambda label, kids: Box(next(iter(kids)), label))


class Opaque:
    """Not registered: a leaf."""


_leaf = st.one_of(st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=2),
                  st.builds(Opaque))
pytrees = st.recursive(
    st.one_of(_leaf, st.none()),
    lambda kids: st.one_of(
        st.lists(kids, max_size=3),
        st.lists(kids, max_size=3).map(tuple),
        st.dictionaries(st.text("abc", min_size=1, max_size=2), kids, max_size=3),
        st.builds(Pair, kids, kids),
        st.builds(Box, kids, st.sampled_from(["p", "q"])),
    ),
    max_leaves=10,
)


def _same(a: Any, b: Any) -> bool:
    """Equal as trees: same node types and leaves by identity."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Box):
        return a.label == b.label and _same(a.value, b.value)
    return a is b or a == b


@given(pytrees)
def test_flatten_unflatten_round_trip(t: Any) -> None:
    leaves, td = tree.flatten(t)
    assert td.num_leaves == len(leaves)
    assert _same(tree.unflatten(td, leaves), t)
    assert tree.structure(t) == td and hash(tree.structure(t)) == hash(td)
    assert tree.leaves(t) == leaves or all(x is y for x, y in zip(tree.leaves(t), leaves,
                                                                   strict=True))
    # structure ignores leaf values
    assert tree.structure(tree.map(lambda _: 0, t)) == td
    assert len(tree.leaf_paths(t)) == len(leaves)


def test_leaves_order_and_dict_key_sorting() -> None:
    t = {"b": 1, "a": [2, (3, None)], "c": Pair(4, {"z": 5, "y": 6})}
    assert tree.leaves(t) == [2, 3, 1, 4, 6, 5]
    assert tree.leaf_paths(t) == ["['a'][0]", "['a'][1][0]", "['b']", "['c'].first",
                                  "['c'].second['y']", "['c'].second['z']"]
    # insertion order does not matter
    assert tree.structure({"a": 0, "b": 1}) == tree.structure({"b": 1, "a": 0})


def test_none_is_an_empty_node() -> None:
    assert tree.leaves(None) == []
    assert tree.leaves([None, 1, (None,)]) == [1]
    leaves, td = tree.flatten((None, 2))
    assert tree.unflatten(td, [7]) == (None, 7)


def test_structure_equality_distinguishes_node_types() -> None:
    s = tree.structure
    assert s((1, 2)) != s([1, 2])
    assert s((1, 2)) != s(Pair(1, 2))
    assert s({"a": 1}) != s({"b": 1})
    assert s([1, [2]]) != s([1, 2])
    assert s(Box(1, "p")) != s(Box(1, "q"))
    assert s(Box(1, "p")) == s(Box(2, "p"))
    assert s(None) != s(())
    # hashable: usable as dict keys
    cache = {s((1, {"k": 2})): "hit"}
    assert cache[s((3, {"k": 4}))] == "hit"


def test_namedtuples_rebuild_as_their_type() -> None:
    p = Pair(fnp.ones(2), 3)
    out = tree.map(lambda x: x * 2, p)
    assert isinstance(out, Pair)
    np.testing.assert_array_equal(np.asarray(out.first), [2.0, 2.0])
    assert out.second == 6


def test_registered_class_round_trip_and_aux_data() -> None:
    b = Box([1, 2], "label")
    leaves, td = tree.flatten(b)
    assert leaves == [1, 2]
    rebuilt = tree.unflatten(td, [10, 20])
    assert isinstance(rebuilt, Box) and rebuilt.label == "label" and rebuilt.value == [10, 20]
    assert "Box" in repr(td)


def test_register_twice_raises() -> None:
    with pytest.raises(ValueError, match="already registered"):
        tree.register_pytree_node(Box, lambda b: ((), None), lambda d, k: Box(None, ""))


def test_map_over_several_trees() -> None:
    a = {"x": 1, "y": (2, 3)}
    b = {"x": 10, "y": (20, 30)}
    c = {"x": 100, "y": (200, 300)}
    assert tree.map(lambda p, q, r: p + q + r, a, b, c) == {"x": 111, "y": (222, 333)}


def test_map_structure_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="different structures"):
        tree.map(lambda p, q: p + q, {"x": 1}, {"y": 1})
    with pytest.raises(ValueError, match="different structures"):
        tree.map(lambda p, q: p + q, (1, 2), [1, 2])
    with pytest.raises(ValueError, match="different structures"):
        tree.map(lambda p, q: p, (1, None), (1, 2))


def test_map_is_leaf() -> None:
    t = {"pair": (1, 2), "other": (3, 4)}
    out = tree.map(lambda x: sum(x) if isinstance(x, tuple) else x, t,
                   is_leaf=lambda x: isinstance(x, tuple))
    assert out == {"pair": 3, "other": 7}
    assert tree.leaves(t, is_leaf=lambda x: isinstance(x, tuple)) == [(3, 4), (1, 2)]


def test_unflatten_wrong_leaf_count() -> None:
    td = tree.structure((1, [2, 3]))
    with pytest.raises(ValueError, match="too few leaves"):
        tree.unflatten(td, [1, 2])
    with pytest.raises(ValueError, match="too many leaves"):
        tree.unflatten(td, [1, 2, 3, 4])


def test_repr() -> None:
    assert repr(tree.structure((1, [2, {"a": 3}], None))) == "(*, [*, {'a': *}], None)"
    assert repr(tree.structure((1,))) == "(*,)"
    assert repr(tree.structure(5)) == "*"


def test_arrays_are_leaves_and_trees_pass_through_jit() -> None:
    t = {"w": fnp.ones((2, 2)), "b": [fnp.zeros(2), None], "p": Pair(fnp.asarray(1.0), 2.0)}
    leaves = tree.leaves(t)
    assert len(leaves) == 4
    out = fg.jit(lambda t: tree.map(lambda x: x + 1, t))(t)
    assert tree.structure(out) == tree.structure(t)
    np.testing.assert_array_equal(np.asarray(out["w"]), np.full((2, 2), 2.0))
    assert float(out["p"].second) == 3.0


def test_device_put_and_get_trees() -> None:
    t = {"a": np.arange(3), "b": (1.5, [np.ones(2, np.float32)])}
    on_device = fg.device_put(t)
    assert all(isinstance(x, fg.Array) for x in tree.leaves(on_device))
    assert on_device["a"].dtype == np.int64 and on_device["b"][1][0].dtype == np.float32
    back = fg.device_get(on_device)
    assert isinstance(back["a"], np.ndarray)
    np.testing.assert_array_equal(back["a"], np.arange(3))
    assert tree.structure(back) == tree.structure(t)
