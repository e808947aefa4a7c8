"""`einsum` and `einsum_path`: Einstein summation lowered to dot_general.

The subscripts are parsed (explicit or implicit output, `...` broadcasting,
NumPy's interleaved operand/sublist form), repeated labels inside one operand
become a diagonal, labels no one else needs are summed out at once, and the
remaining operands are contracted pairwise in a greedy order: each step picks
the pair whose contraction shrinks the total size the most (opt_einsum's
"greedy" heuristic), and lowers it to one `dot_general` with the shared,
still-needed labels as batch dimensions. A final transpose puts the output
labels in order.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.errors import UnsupportedError
from funcgrad.numpy._eager import eager_jit
from funcgrad.numpy._extras import diagonal
from funcgrad.numpy._shape import broadcast_to
from funcgrad.numpy._ufuncs import not_equal
from funcgrad.numpy._util import asarray_operand, aval_of, convert, promote, reject

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ELLIPSIS_BASE = 0x2000     # private labels for the dimensions `...` stands for

Spec = tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]


# ---------------------------------------------------------------------------
# parsing


def _interleaved(args: Sequence[Any]) -> tuple[str, list[Any]]:
    """NumPy's einsum(op0, sublist0, op1, sublist1, ..., [sublistout]) form -> a string."""
    def term(sub: Sequence[Any]) -> str:
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, (int, np.integer)) and 0 <= int(s) < len(_LETTERS):
                out.append(_LETTERS[int(s)])
            else:
                raise ValueError(f"einsum: subscript {s!r} in a sublist must be an int in "
                                 f"[0, {len(_LETTERS)}) or Ellipsis")
        return "".join(out)

    ops = list(args[0::2][:len(args) // 2])
    subs = [term(s) for s in args[1::2][:len(args) // 2]]
    text = ",".join(subs)
    if len(args) % 2:
        text += "->" + term(args[-1])
    return text, ops


def _parse(subscripts: str, shapes: Sequence[tuple[int, ...]]) -> tuple[list[list[str]],
                                                                         list[str]]:
    """Input label lists (with `...` expanded to private labels) and the output labels."""
    s = subscripts.replace(" ", "")
    if "->" in s:
        lhs, rhs = s.split("->", 1)
        if "->" in rhs:
            raise ValueError("einsum: subscripts may contain '->' only once")
    else:
        lhs, rhs = s, None
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {len(terms)} operand subscripts given for "
                         f"{len(shapes)} operands")
    n_ell = 0
    parsed: list[tuple[list[str], list[str] | None]] = []
    for t, shp in zip(terms, shapes, strict=True):
        if t.count("...") > 1 or "." in t.replace("...", ""):
            raise ValueError(f"einsum: invalid subscript {t!r}: '...' may appear once, and "
                             "'.' only as part of it")
        for ch in t.replace("...", ""):
            if ch not in _LETTERS:
                raise ValueError(f"einsum: invalid subscript {ch!r}: labels must be letters")
        if "..." in t:
            head, tail = t.split("...")
            k = len(shp) - len(head) - len(tail)
            if k < 0:
                raise ValueError(f"einsum: operand of shape {shp} has fewer dimensions than "
                                 f"its subscripts {t!r}")
            n_ell = max(n_ell, k)
            parsed.append((list(head), list(tail)))
        else:
            if len(t) != len(shp):
                raise ValueError(f"einsum: operand of shape {shp} has {len(shp)} dimensions "
                                 f"but subscripts {t!r} name {len(t)}")
            parsed.append((list(t), None))
    ell = [chr(_ELLIPSIS_BASE + i) for i in range(n_ell)]
    inputs: list[list[str]] = []
    for (before, after), shp in zip(parsed, shapes, strict=True):
        if after is None:
            inputs.append(before)
        else:
            k = len(shp) - len(before) - len(after)
            inputs.append(before + ell[n_ell - k:] + after)
    if rhs is None:
        counts: dict[str, int] = {}
        for labels in inputs:
            for ch in labels:
                counts[ch] = counts.get(ch, 0) + 1
        out = ell + sorted(ch for ch, c in counts.items() if c == 1 and ch in _LETTERS)
    else:
        if rhs.count("...") > 1:
            raise ValueError("einsum: the output may contain '...' only once")
        if "..." in rhs:
            head, tail = rhs.split("...")
            out = list(head) + ell + list(tail)
        else:
            if n_ell and any(len(shp) for shp in shapes):
                used = {ch for labels in inputs for ch in labels}
                if any(e in used for e in ell):
                    raise ValueError("einsum: output has more dimensions than subscripts "
                                     "given in einstein sum, but no '...' ellipsis provided "
                                     "to broadcast the extra dimensions.")
            out = list(rhs)
        for ch in out:
            if ch not in _LETTERS and ch not in ell:
                raise ValueError(f"einsum: invalid output subscript {ch!r}")
            if ch in _LETTERS and not any(ch in labels for labels in inputs):
                raise ValueError(f"einsum: output subscript {ch!r} does not appear in the "
                                 "input subscripts")
        if len(set(out)) != len(out):
            raise ValueError(f"einsum: output subscript string {rhs!r} repeats a label")
    return inputs, out


def _sizes(inputs: Sequence[Sequence[str]], shapes: Sequence[tuple[int, ...]]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for labels, shp in zip(inputs, shapes, strict=True):
        for ch, d in zip(labels, shp, strict=True):
            old = sizes.get(ch)
            if old is None or old == 1:
                sizes[ch] = d
            elif d != 1 and d != old:
                name = ch if ch in _LETTERS else "..."
                raise ValueError(f"einsum: size of label {name!r} is {old} in one operand and "
                                 f"{d} in another")
    return sizes


# ---------------------------------------------------------------------------
# contraction order


def _greedy_path(inputs: Sequence[Sequence[str]], out: Sequence[str],
                 sizes: dict[str, int]) -> list[tuple[int, int]]:
    """Pairs to contract, as positions in the shrinking operand list (opt_einsum style)."""
    ops = [frozenset(x) for x in inputs]
    path: list[tuple[int, int]] = []
    out_set = frozenset(out)

    def size(labels: frozenset[str]) -> int:
        return math.prod(sizes[ch] for ch in labels)

    while len(ops) > 1:
        best = None
        for i, j in itertools.combinations(range(len(ops)), 2):
            others = out_set.union(*(ops[k] for k in range(len(ops)) if k not in (i, j)))
            kept = (ops[i] | ops[j]) & others
            removed = size(kept) - size(ops[i]) - size(ops[j])
            cost = (removed, size(ops[i] | ops[j]))
            if best is None or cost < best[0]:
                best = (cost, i, j, kept)
        assert best is not None
        _, i, j, kept = best
        path.append((i, j))
        ops = [ops[k] for k in range(len(ops)) if k not in (i, j)] + [kept]
    return path


# ---------------------------------------------------------------------------
# lowering


def _take_diagonals(x: Any, labels: list[str]) -> tuple[Any, list[str]]:
    """Repeated labels in one operand: keep only the diagonal."""
    while len(set(labels)) != len(labels):
        seen: dict[str, int] = {}
        for pos, ch in enumerate(labels):
            if ch in seen:
                first = seen[ch]
                x = diagonal(x, 0, first, pos)
                labels = [c for k, c in enumerate(labels) if k not in (first, pos)] + [ch]
                break
            seen[ch] = pos
    return x, labels


def _sum_out(x: Any, labels: list[str], keep: set[str]) -> tuple[Any, list[str]]:
    axes = tuple(k for k, ch in enumerate(labels) if ch not in keep)
    if not axes:
        return x, labels
    return P.reduce_sum_p.bind(x, axes=axes), [ch for ch in labels if ch in keep]


def _expand_ones(x: Any, labels: list[str], sizes: dict[str, int]) -> Any:
    shp = aval_of(x).shape
    want = tuple(sizes[ch] for ch in labels)
    return x if shp == want else broadcast_to(x, want)


def _contract_pair(x: Any, lx: list[str], y: Any, ly: list[str],
                   keep: set[str]) -> tuple[Any, list[str]]:
    shared = [ch for ch in lx if ch in ly]
    batch = [ch for ch in shared if ch in keep]
    contract = [ch for ch in shared if ch not in keep]
    dims = (((tuple(lx.index(c) for c in contract), tuple(ly.index(c) for c in contract)),
             (tuple(lx.index(c) for c in batch), tuple(ly.index(c) for c in batch))))
    out = P.dot_general_p.bind(x, y, dimension_numbers=dims)
    labels = batch + [ch for ch in lx if ch not in shared] + [ch for ch in ly if ch not in shared]
    return out, labels


def _contract(operands: Sequence[Any], inputs: Sequence[Sequence[str]], out: Sequence[str],
              path: Sequence[tuple[int, ...]], sizes: dict[str, int]) -> Any:
    ops = [(x, list(labels)) for x, labels in zip(operands, inputs, strict=True)]
    out_set = set(out)

    def needed(skip: Sequence[int]) -> set[str]:
        return out_set.union(*(set(ops[k][1]) for k in range(len(ops)) if k not in skip))

    # diagonals, then labels only one operand has (and the output lacks) summed out
    for k in range(len(ops)):
        x, labels = _take_diagonals(*ops[k])
        ops[k] = _sum_out(x, labels, needed([k]))
    for step in path:
        if len(step) == 1:
            continue
        if len(step) != 2:
            raise UnsupportedError("einsum: paths may only contract pairs of operands")
        i, j = step
        keep = needed([i, j])
        (x, lx), (y, ly) = ops[i], ops[j]
        x, y = _expand_ones(x, lx, sizes), _expand_ones(y, ly, sizes)
        res = _contract_pair(x, lx, y, ly, keep)
        ops = [ops[k] for k in range(len(ops)) if k not in (i, j)] + [res]
    (x, labels), = ops
    x, labels = _sum_out(x, labels, out_set)
    x = _expand_ones(x, labels, sizes)
    perm = tuple(labels.index(ch) for ch in out)
    return x if perm == tuple(range(len(perm))) else P.transpose_p.bind(x, permutation=perm)


@eager_jit(("spec", "path", "sizes"))
def _einsum_jit(operands: tuple[Any, ...], spec: Spec, path: tuple[tuple[int, ...], ...],
                sizes: tuple[tuple[str, int], ...]) -> Any:
    inputs, out = spec
    return _contract(operands, inputs, out, path, dict(sizes))


def _prepare(args: Sequence[Any], dtype: Any) -> tuple[list[Any], list[list[str]], list[str],
                                                       dict[str, int], np.dtype]:
    if not args:
        raise TypeError("einsum: no subscripts given")
    if isinstance(args[0], str):
        subscripts, raw = args[0], list(args[1:])
    else:
        subscripts, raw = _interleaved(args)
    if not raw:
        raise ValueError("einsum: at least one operand is needed")
    ops = [asarray_operand(o) for o in raw]
    if dtype is not None:
        dt = dtypes.canonicalize(dtype)
        ops = [convert(o, dt, False) for o in ops]
    else:
        ops = promote(*ops) if len(ops) > 1 else ops
        dt = aval_of(ops[0]).dtype
        ops = [convert(o, dt, False) for o in ops]
    shapes = [aval_of(o).shape for o in ops]
    inputs, out = _parse(subscripts, shapes)
    sizes = _sizes(inputs, shapes)
    return ops, inputs, out, sizes, dt


def _path(optimize: Any, inputs: list[list[str]], out: list[str],
          sizes: dict[str, int]) -> list[tuple[int, ...]]:
    if isinstance(optimize, (list, tuple)) and optimize and optimize[0] == "einsum_path":
        return [tuple(int(i) for i in step) for step in optimize[1:]]
    if optimize not in (True, False, None, "greedy", "optimal", "auto"):
        raise ValueError(f"einsum: optimize must be a bool, 'greedy', 'optimal' or an "
                         f"einsum_path, got {optimize!r}")
    if optimize is False or optimize is None:     # left to right
        return [(0, 1)] * (len(inputs) - 1)
    return list(_greedy_path(inputs, out, sizes))


def einsum(*operands: Any, out: Any = None, optimize: Any = "greedy", dtype: Any = None,
           casting: str = "safe", precision: Any = None,
           preferred_element_type: Any = None) -> Any:
    """Einstein summation, e.g. ``einsum("bij,bjk->bik", a, b)`` or ``einsum("ii", a)``.

    Supports explicit and implicit outputs, `...` broadcasting, repeated labels
    (diagonals) and NumPy's interleaved ``einsum(a, [0, 1], b, [1, 2], [0, 2])``
    form. Contractions run pairwise in a greedy order (`optimize` may also be
    False for left-to-right, or a path from `einsum_path`).
    """
    reject("einsum", out=out, precision=precision)
    if preferred_element_type is not None:
        dtype = preferred_element_type
    if casting not in ("no", "equiv", "safe", "same_kind", "unsafe"):
        raise ValueError(f"einsum: invalid casting {casting!r}")
    ops, inputs, out_labels, sizes, dt = _prepare(operands, dtype)
    path = _path(optimize, inputs, out_labels, sizes)
    if dt == dtypes.bool_:
        # products are ANDs and sums ORs: count in integers, then test for non-zero
        ops = [convert(o, dtypes.int64, False) for o in ops]
    spec: Spec = (tuple(tuple(x) for x in inputs), tuple(out_labels))
    res = _einsum_jit(tuple(ops), spec, tuple(path), tuple(sorted(sizes.items())))
    return not_equal(res, 0) if dt == dtypes.bool_ else res


def einsum_path(*operands: Any, optimize: Any = "greedy",
                einsum_call: bool = False) -> tuple[list[Any], str]:
    """The contraction order `einsum` would use: (["einsum_path", (i, j), ...], a report)."""
    ops, inputs, out_labels, sizes, _ = _prepare(operands, None)
    path = _path(optimize, inputs, out_labels, sizes)
    naive = math.prod(sizes.values()) if sizes else 1
    lines = [f"  Complete contraction:  {operands[0] if isinstance(operands[0], str) else ''}",
             f"  Naive scaling:  {len(sizes)}",
             f"  Naive FLOP count:  {naive * max(len(ops), 1):.3e}",
             "  Contraction order (positions in the shrinking operand list):"]
    lines += [f"    {step}" for step in path]
    return ["einsum_path", *path], "\n".join(lines)
