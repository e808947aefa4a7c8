"""Key paths and the full jax.tree / jax.tree_util surface, against JAX: path
flattening and keystr on nested trees, registration forms (keys, classes,
dataclasses, static), structure methods, transpose/broadcast/reduce, Partial
across jit and vmap, vjp/linearize functions as Partials, and node data that is
not hashable inside jit, vmap and grad."""
from __future__ import annotations

import dataclasses
import functools
from collections import namedtuple
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import tree, tree_util

jax.config.update("jax_enable_x64", True)

# Public names of JAX's modules that funcgrad leaves out, with the reason.
MISSING_TREE: dict[str, str] = {}
MISSING_TREE_UTIL: dict[str, str] = {}


def _public(mod: Any) -> set[str]:
    return {n for n in dir(mod) if not n.startswith("_")}


@pytest.mark.parametrize("jax_mod,fg_mod,missing", [
    (jax.tree, tree, MISSING_TREE), (jax.tree_util, tree_util, MISSING_TREE_UTIL)],
    ids=["tree", "tree_util"])
def test_every_jax_name_exists_or_is_listed(jax_mod: Any, fg_mod: Any,
                                            missing: dict[str, str]) -> None:
    absent = {n for n in _public(jax_mod) if not hasattr(fg_mod, n)}
    assert absent <= set(missing), f"missing and unlisted: {sorted(absent - set(missing))}"
    present = set(missing) - absent
    assert not present, f"listed as missing but present: {sorted(present)}"


Point = namedtuple("Point", ["x", "y"])


@dataclasses.dataclass
class Layer:
    w: Any
    b: Any
    name: str = dataclasses.field(default="dense", metadata={"static": True})


tree.register_dataclass(Layer)
jax.tree_util.register_dataclass(Layer)


class Pair:
    """Registered without keys: children get FlattenedIndexKeys."""

    def __init__(self, a: Any, b: Any):
        self.a, self.b = a, b


def _pair_flatten(p: Pair) -> tuple[tuple[Any, Any], None]:
    return (p.a, p.b), None


tree.register_pytree_node(Pair, _pair_flatten, lambda _, xs: Pair(*xs))
jax.tree_util.register_pytree_node(Pair, _pair_flatten, lambda _, xs: Pair(*xs))


class Named:
    """Registered with keys."""

    def __init__(self, left: Any, right: Any):
        self.left, self.right = left, right


def _named_keys(n: Named) -> tuple[list[tuple[Any, Any]], str]:
    return [(tree.GetAttrKey("left"), n.left), (tree.GetAttrKey("right"), n.right)], "tag"


def _jax_named_keys(n: Named) -> tuple[list[tuple[Any, Any]], str]:
    return ([(jax.tree_util.GetAttrKey("left"), n.left),
             (jax.tree_util.GetAttrKey("right"), n.right)], "tag")


tree_util.register_pytree_with_keys(Named, _named_keys, lambda _, xs: Named(*xs))
jax.tree_util.register_pytree_with_keys(Named, _jax_named_keys, lambda _, xs: Named(*xs))


def _key(k: Any) -> tuple[str, Any]:
    """A key entry as (class name, value), comparable across the two libraries."""
    for field in ("name", "key", "idx"):
        if hasattr(k, field):
            return type(k).__name__, getattr(k, field)
    raise AssertionError(f"not a key entry: {k!r}")


def _paths(pairs: list[tuple[Any, Any]]) -> list[tuple[list[tuple[str, Any]], Any]]:
    return [([_key(k) for k in path], leaf) for path, leaf in pairs]


NESTED = [
    {"b": [1, (2, None)], "a": Point(3, {"z": 4, "y": 5}), "n": None},
    [Layer(1.0, [2.0, 3.0]), Pair(4, (5, 6)), Named({"k": 7}, [8])],
    (None, [], {}, ((9,),)),
    {1: "one", 0: Point(x=[None, 2], y=())},
    10,
]


@pytest.mark.parametrize("t", NESTED, ids=range(len(NESTED)))
def test_flatten_with_path_and_keystr_match_jax(t: Any) -> None:
    pairs, td = tree.flatten_with_path(t)
    jpairs, jtd = jax.tree_util.tree_flatten_with_path(t)
    assert _paths(pairs) == _paths(jpairs)
    assert td == tree.structure(t) and td.num_leaves == jtd.num_leaves
    assert td.num_nodes == jtd.num_nodes
    for (p, _), (jp, _) in zip(pairs, jpairs, strict=True):
        assert tree.keystr(p) == jax.tree_util.keystr(jp)
        assert (tree_util.keystr(p, simple=True, separator="/")
                == jax.tree_util.keystr(jp, simple=True, separator="/"))
    assert [x for _, x in tree.leaves_with_path(t)] == tree.leaves(t)
    assert tree_util.tree_leaves_with_path(t) == pairs
    out = tree.map_with_path(lambda p, x: tree.keystr(p), t)
    jout = jax.tree.map_with_path(lambda p, x: jax.tree_util.keystr(p), t)
    assert tree.leaves(out) == jax.tree.leaves(jout)


@given(st.recursive(st.integers(0, 9) | st.none(),
                    lambda kids: st.lists(kids, max_size=3) | st.lists(kids, max_size=3).map(tuple)
                    | st.dictionaries(st.sampled_from("abc"), kids, max_size=3),
                    max_leaves=8))
def test_random_trees_paths_match_jax(t: Any) -> None:
    assert _paths(tree.leaves_with_path(t)) == _paths(jax.tree_util.tree_leaves_with_path(t))
    assert tree.leaf_paths(t) == [jax.tree_util.keystr(p)
                                  for p, _ in jax.tree_util.tree_leaves_with_path(t)]


def test_key_entries_repr_str_equality() -> None:
    keys = [tree.GetAttrKey("a"), tree.DictKey("k"), tree.DictKey(1), tree.SequenceKey(2),
            tree.FlattenedIndexKey(3)]
    assert [repr(k) for k in keys] == ["GetAttrKey(name='a')", "DictKey(key='k')",
                                       "DictKey(key=1)", "SequenceKey(idx=2)",
                                       "FlattenedIndexKey(key=3)"]
    assert [str(k) for k in keys] == [".a", "['k']", "[1]", "[2]", "[<flat index 3>]"]
    jkeys = [jax.tree_util.GetAttrKey("a"), jax.tree_util.DictKey("k"),
             jax.tree_util.DictKey(1), jax.tree_util.SequenceKey(2),
             jax.tree_util.FlattenedIndexKey(3)]
    assert [str(k) for k in keys] == [str(k) for k in jkeys]
    assert tree.DictKey(1) == tree.DictKey(1) and hash(tree.DictKey(1)) == hash(tree.DictKey(1))
    assert tree.DictKey(1) != tree.SequenceKey(1) and tree.SequenceKey(1) != 1
    assert tree.keystr(()) == "" and tree.keystr(("a", 1)) == "a1"
    match tree.SequenceKey(4):
        case tree.SequenceKey(idx=i):
            assert i == 4


def test_is_leaf_with_and_without_path() -> None:
    t = [1, (2, 3), {"a": (4,)}]
    got = tree.leaves_with_path(t, is_leaf=lambda p, x: len(p) == 1, is_leaf_takes_path=True)
    want = jax.tree_util.tree_leaves_with_path(t, is_leaf=lambda p, x: len(p) == 1,
                                               is_leaf_takes_path=True)
    assert _paths(got) == _paths(want)
    is_tuple = lambda x: isinstance(x, tuple)  # noqa: E731
    assert (_paths(tree.flatten_with_path(t, is_leaf=is_tuple)[0])
            == _paths(jax.tree.flatten_with_path(t, is_leaf=is_tuple)[0]))


def test_registration_forms() -> None:
    @tree_util.register_pytree_node_class
    class Cls:
        def __init__(self, v: Any, tag: str):
            self.v, self.tag = v, tag

        def tree_flatten(self) -> tuple[tuple[Any], str]:
            return (self.v,), self.tag

        @classmethod
        def tree_unflatten(cls, tag: str, kids: Any) -> Cls:
            return cls(*kids, tag)

    @tree_util.register_pytree_with_keys_class
    class KCls:
        def __init__(self, v: Any):
            self.v = v

        def tree_flatten_with_keys(self) -> tuple[list[tuple[Any, Any]], None]:
            return [(tree.GetAttrKey("v"), self.v)], None

        @classmethod
        def tree_unflatten(cls, _: Any, kids: Any) -> KCls:
            return cls(*kids)

    @tree_util.register_static
    class Mode(str):
        pass

    leaves, td = tree.flatten(Cls([1, 2], "t"))
    assert leaves == [1, 2] and tree.unflatten(td, [3, 4]).tag == "t"
    assert tree.keystr(tree.leaves_with_path(KCls(5))[0][0]) == ".v"
    assert tree.leaves(KCls([6, 7])) == [6, 7]
    assert tree.leaves([Mode("add"), 1]) == [1]
    assert tree.structure(Mode("add")) != tree.structure(Mode("sub"))
    assert tree_util.is_tree_node(Cls) and tree_util.is_tree_node(Point)
    assert not tree_util.is_tree_node(int) and tree_util.is_tree_node(type(None))
    with pytest.raises(ValueError, match="already registered"):
        tree_util.register_static(Mode)
    with pytest.raises(TypeError, match="expects a type"):
        tree.register_pytree_node(Mode("x"), _pair_flatten, Pair)  # type: ignore[arg-type]


def test_register_dataclass_forms_and_errors() -> None:
    @functools.partial(tree.register_dataclass, data_fields=["x"], meta_fields=["op"])
    @dataclasses.dataclass
    class Explicit:
        x: Any
        op: str

    @tree.register_dataclass
    @dataclasses.dataclass
    class Inferred:
        x: Any
        op: str = tree.static(default="add")

    for cls in (Explicit, Inferred):
        leaves, td = tree.flatten(cls([1.0, 2.0], "mul"))
        assert leaves == [1.0, 2.0]
        assert tree.unflatten(td, [3.0, 4.0]) == cls([3.0, 4.0], "mul")
        assert tree.structure(cls(1.0, "mul")) != tree.structure(cls(1.0, "add"))
    assert tree.keystr(tree.leaves_with_path(Inferred(1.0))[0][0]) == ".x"

    class Plain:
        pass

    with pytest.raises(TypeError, match="not a dataclass"):
        tree.register_dataclass(Plain)
    with pytest.raises(TypeError, match="give both"):
        tree.register_dataclass(Plain, data_fields=["a"])

    @dataclasses.dataclass
    class D:
        a: int
        b: int

    with pytest.raises(ValueError, match=r"missing \['b'\]"):
        tree.register_dataclass(D, data_fields=["a"], meta_fields=[])
    with pytest.raises(ValueError, match="overlap"):
        tree.register_dataclass(D, data_fields=["a", "b"], meta_fields=["a"])
    tree.register_dataclass(D, data_fields=["a"], meta_fields=[], drop_fields=["b"])
    assert tree.leaves(D(1, 2)) == [1]


def test_register_dataclass_under_jit_and_grad_matches_jax() -> None:
    w, b = np.arange(6.0).reshape(2, 3) / 7, np.array([0.5, -1.0, 2.0])
    x = np.linspace(-1, 1, 6).reshape(3, 2)

    def loss(mod: Any, layer: Layer, x: Any) -> Any:
        y = mod.tanh(x @ layer.w + layer.b[0] * layer.b[1])
        return mod.sum(y ** 2) if layer.name == "dense" else mod.sum(y)

    layer = Layer(w, [b, 2.0])
    g = fg.jit(fg.grad(lambda p, x: loss(fnp, p, x)))(layer, x)
    jg = jax.jit(jax.grad(lambda p, x: loss(jnp, p, x)))(layer, x)
    assert isinstance(g, Layer) and g.name == "dense"
    np.testing.assert_allclose(np.asarray(g.w), jg.w, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(g.b[0]), jg.b[0], rtol=1e-12)
    other = Layer(w, [b, 2.0], name="sum")
    out = fg.jit(lambda p, x: loss(fnp, p, x))(other, x)
    assert np.asarray(out).dtype == np.float64
    np.testing.assert_allclose(float(out), float(loss(jnp, other, x)), rtol=1e-12)


def test_pytreedef_methods() -> None:
    td = tree.structure((1, [2, 3]))
    inner = tree.structure({"a": 1, "b": 2})
    jtd = jax.tree.structure((1, [2, 3]))
    assert td.num_nodes == jtd.num_nodes and td.num_leaves == 3
    assert td.children() == [tree.structure(1), tree.structure([2, 3])]
    assert td.children == tuple(td.children()) and len(td.children) == 2
    composed = td.compose(inner)
    assert composed == tree.structure(({"a": 0, "b": 0}, [{"a": 0, "b": 0}] * 2))
    assert composed.num_leaves == jtd.compose(jax.tree.structure({"a": 1, "b": 2})).num_leaves
    assert td.flatten_up_to(((1, 2), [{"x": 1}, None])) == [(1, 2), {"x": 1}, None]
    for bad, msg in [([1, [2, 3]], "expected a tuple at the root"),
                     ((1, [2]), r"list at tree\[1\] has structure"),
                     ((1, (2, 3)), r"expected a list at tree\[1\], got tuple")]:
        with pytest.raises(ValueError, match=msg):
            td.flatten_up_to(bad)
        with pytest.raises(ValueError):
            jtd.flatten_up_to(bad)
    assert tree.structure({"a": 1}).node_data() == (dict, ("a",))
    assert tree.structure(1).node_data() is None
    assert tree_util.treedef_tuple([td, inner]) == tree.structure(((1, [2, 3]), {"a": 1, "b": 2}))
    assert tree_util.treedef_children(td) == td.children()
    assert [tree_util.treedef_is_leaf(tree.structure(v)) for v in (1, None, (), (1,))] == [
        jax.tree_util.treedef_is_leaf(jax.tree.structure(v)) for v in (1, None, (), (1,))]


def test_transpose_broadcast_reduce_all_match_jax() -> None:
    outer, inner = [0, 0, 0], (0, {"k": 0})
    t = [(1, {"k": 2}), (3, {"k": 4}), (5, {"k": 6})]
    want = jax.tree.transpose(jax.tree.structure(outer), jax.tree.structure(inner), t)
    assert tree.transpose(tree.structure(outer), tree.structure(inner), t) == want
    assert tree.transpose(tree.structure(outer), None, t) == want
    assert tree_util.tree_transpose(tree.structure([0]), tree.structure(()), [()]) == ()
    with pytest.raises(TypeError, match="tree.transpose: the tree has structure"):
        tree.transpose(tree.structure([0, 0]), tree.structure((0, 0, 0)), [(1, 2), (3, 4)])

    prefix, full = [1, {"a": 2}], [(3, 4), {"a": [5, None, 6]}]
    assert tree.broadcast(prefix, full) == jax.tree.broadcast(prefix, full)
    with pytest.raises(ValueError, match=r"at full_tree\[1\]\['a'\] the prefix_tree entry"):
        tree.broadcast([1, {"a": (2,)}], full)
    assert tree_util.tree_broadcast((1, None), ((2, 3), None)) == ((1, 1), None)

    t2 = [1, (2, 3), {"x": 4}]
    add = lambda a, b: a + b  # noqa: E731
    assert tree.reduce(add, t2) == jax.tree.reduce(add, t2) == 10
    assert tree.reduce(add, [], 7) == 7
    assert tree.reduce_associative(add, t2) == jax.tree.reduce_associative(add, t2)
    assert tree.reduce_associative(lambda a, b: f"({a}{b})", list("abcde")) == "((ab)(c(de)))"
    assert tree.reduce_associative(add, [], identity=0) == 0
    with pytest.raises(TypeError, match="identity="):
        tree.reduce_associative(add, [])
    for v in ([1, True, (2,)], [1, 0], [], [None]):
        assert tree.all(v) == jax.tree.all(v)
    for v in ([1, 2], [1, (2,)], [1, None]):
        assert tree.all_leaves(v) == jax.tree_util.all_leaves(v)
    assert tree.all_leaves([(1, 2)], is_leaf=lambda x: isinstance(x, tuple))


def test_map_with_prefix_trees_and_one_level() -> None:
    a, b = (1, 2), ([3], {"x": 4})
    assert tree.map(lambda p, q: (p, q), a, b) == jax.tree.map(lambda p, q: (p, q), a, b)
    with pytest.raises(ValueError, match="different structures"):
        tree.map(lambda p, q: p, (1, 2), (1, 2, 3))
    kids, data = tree_util.flatten_one_level({"b": 1, "a": 2})
    assert list(kids) == [2, 1] and data == ("a", "b")
    pairs, _ = tree_util.flatten_one_level_with_keys(Point(1, 2))
    assert [(str(k), v) for k, v in pairs] == [(".x", 1), (".y", 2)]
    with pytest.raises(ValueError, match="can't tree-flatten type"):
        tree_util.flatten_one_level(1)
    reg = tree_util.default_registry
    assert reg.flatten([1, (2,)]) == tree.flatten([1, (2,)])
    assert reg.flatten_one_level(1) is None and reg.is_node(dict)
    assert _paths(reg.flatten_with_path({"a": [1]})[0]) == [([("DictKey", "a"),
                                                             ("SequenceKey", 0)], 1)]


def test_signatures_match_jax() -> None:
    import inspect

    def params(f: Any) -> list[tuple[str, Any]]:
        return [(p.name, p.kind) for p in inspect.signature(f).parameters.values()]

    for name in ("flatten", "flatten_with_path", "leaves", "leaves_with_path", "map",
                 "map_with_path", "reduce", "reduce_associative", "all", "broadcast",
                 "structure", "transpose", "unflatten"):
        assert params(getattr(tree, name)) == params(getattr(jax.tree, name)), name
    for name in ("keystr", "register_pytree_node", "register_pytree_with_keys",
                 "register_dataclass", "all_leaves", "tree_map_with_path", "treedef_tuple",
                 "register_static", "register_pytree_node_class"):
        assert params(getattr(tree_util, name)) == params(getattr(jax.tree_util, name)), name
    assert params(tree_util.Partial) == params(jax.tree_util.Partial)


# ---------------------------------------------------------------------------
# Partial, and vjp/linearize functions as Partials


def test_partial_is_a_pytree_that_crosses_jit() -> None:
    add = tree_util.Partial(fnp.add, fnp.asarray(1.0))
    traces = []

    @fg.jit
    def call(f: Any, x: Any) -> Any:
        traces.append(1)
        return f(x)

    assert float(call(add, 2.0)) == 3.0
    assert float(call(tree_util.Partial(fnp.add, fnp.asarray(5.0)), 2.0)) == 7.0
    assert len(traces) == 1                       # same function: the argument is traced
    assert float(call(tree_util.Partial(fnp.multiply, 5.0), 2.0)) == 10.0
    assert len(traces) == 2
    assert float(fg.jit(lambda f, a, b: f(a, b))(tree_util.Partial(fnp.add), 1.0, 2.0)) == 3.0
    kw = tree_util.Partial(lambda x, scale: x * scale, scale=fnp.asarray(3.0))
    pairs = tree.leaves_with_path(kw)
    assert tree.keystr(pairs[0][0]) == "[<flat index 1>]['scale']"
    assert float(call(kw, 2.0)) == 6.0
    jkw = jax.tree_util.Partial(lambda x, scale: x * scale, scale=jnp.asarray(3.0))
    assert [tree.keystr(p) for p, _ in pairs] == [
        jax.tree_util.keystr(p) for p, _ in jax.tree_util.tree_leaves_with_path(jkw)]
    # a partial as the function stays whole: its arguments are not children
    nested = tree_util.Partial(tree_util.Partial(fnp.add, 1.0), 2.0)
    assert tree.leaves(nested) == [2.0] and float(nested()) == 3.0
    g = fg.grad(lambda f, x: f(x))(tree_util.Partial(lambda s, x: s * x ** 2, 3.0), 2.0)
    assert isinstance(g, tree_util.Partial) and float(g.args[0]) == 4.0


def test_vjp_function_passed_into_jit_matches_jax() -> None:
    x = np.array([0.3, -1.2, 2.0])
    f = lambda m, x: m.sin(x) * m.exp(x) + x ** 2  # noqa: E731
    ct = np.array([1.0, -2.0, 0.5])
    y, pullback = fg.vjp(lambda x: f(fnp, x), x)
    jy, jpullback = jax.vjp(lambda x: f(jnp, x), x)
    assert isinstance(pullback, tree_util.Partial)
    apply = fg.jit(lambda pb, c: pb(c)[0] * 2.0)
    np.testing.assert_allclose(np.asarray(apply(pullback, ct)), 2 * jpullback(ct)[0], rtol=1e-13)
    np.testing.assert_allclose(np.asarray(pullback(ct)[0]), jpullback(ct)[0], rtol=1e-13)
    # vmapped: over the cotangents, the pullback passed unbatched
    cts = np.stack([ct, 2 * ct])
    got = fg.vmap(lambda pb, c: pb(c)[0], in_axes=(None, 0))(pullback, cts)
    np.testing.assert_allclose(np.asarray(got), jax.vmap(lambda c: jpullback(c)[0])(cts),
                               rtol=1e-13)
    np.testing.assert_allclose(np.asarray(fg.vmap(pullback)(cts)[0]),
                               jax.vmap(jpullback)(cts)[0], rtol=1e-13)
    # errors as before
    with pytest.raises(TypeError, match="vjp: the cotangent has structure"):
        pullback((ct, ct))
    with pytest.raises(TypeError, match="takes one cotangent"):
        pullback(ct, ct)
    _, pb2, aux = fg.vjp(lambda x: (fnp.sum(x ** 2), x[0]), x, has_aux=True)
    assert float(aux) == 0.3
    np.testing.assert_allclose(np.asarray(fg.jit(lambda pb: pb(1.0)[0])(pb2)), 2 * x)


def test_linearize_function_is_a_partial() -> None:
    x = np.array([0.5, 1.5])
    t = np.array([1.0, -1.0])
    _, f_jvp = fg.linearize(lambda x: fnp.tanh(x) * x, x)
    _, jf_jvp = jax.linearize(lambda x: jnp.tanh(x) * x, x)
    assert isinstance(f_jvp, tree_util.Partial)
    np.testing.assert_allclose(np.asarray(fg.jit(lambda f, t: f(t))(f_jvp, t)), jf_jvp(t),
                               rtol=1e-13)
    np.testing.assert_allclose(np.asarray(fg.vmap(f_jvp)(np.stack([t, t]))),
                               jax.vmap(jf_jvp)(np.stack([t, t])), rtol=1e-13)
    with pytest.raises(TypeError, match="linearize: f_jvp takes tangents of structure"):
        f_jvp(t, t)


# ---------------------------------------------------------------------------
# node data compared by equality, hashable or not


class Scaled:
    """A node whose aux data is a dict (unhashable)."""

    def __init__(self, x: Any, opts: dict[str, float]):
        self.x, self.opts = x, opts


tree.register_pytree_node(Scaled, lambda s: ((s.x,), s.opts), lambda o, xs: Scaled(*xs, o))


def test_unhashable_node_data_in_jit_vmap_grad() -> None:
    traces = []

    @fg.jit
    def f(s: Scaled) -> Any:
        traces.append(dict(s.opts))
        return s.x * s.opts["scale"]

    x = fnp.asarray([1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(f(Scaled(x, {"scale": 2.0}))), [2.0, 4.0])
    np.testing.assert_array_equal(np.asarray(f(Scaled(x, {"scale": 3.0}))), [3.0, 6.0])
    np.testing.assert_array_equal(np.asarray(f(Scaled(x, {"scale": 2.0}))), [2.0, 4.0])
    assert traces == [{"scale": 2.0}, {"scale": 3.0}]      # equal dicts share an entry
    a, b = tree.structure(Scaled(1, {"s": 1})), tree.structure(Scaled(1, {"s": 1}))
    assert a == b and hash(a) == hash(b)
    assert a != tree.structure(Scaled(1, {"s": 2}))
    g = fg.grad(lambda s: fnp.sum(s.x ** 2) * s.opts["scale"])(Scaled(x, {"scale": 3.0}))
    assert g.opts == {"scale": 3.0}
    np.testing.assert_array_equal(np.asarray(g.x), [6.0, 12.0])
    v = fg.vmap(lambda s: s.x * s.opts["scale"])(Scaled(fnp.ones((2, 3)), {"scale": 4.0}))
    np.testing.assert_array_equal(np.asarray(v), np.full((2, 3), 4.0))
    # node data whose == gives no truth value (an array) is equal only to itself
    arr = np.arange(3)
    assert tree.structure(Scaled(1, arr)) == tree.structure(Scaled(2, arr))  # type: ignore[arg-type]
    assert tree.structure(Scaled(1, arr)) != tree.structure(  # type: ignore[arg-type]
        Scaled(1, np.arange(3)))  # type: ignore[arg-type]
