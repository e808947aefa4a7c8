"""Coverage of NumPy's names: every NumPy function funcgrad.numpy implements has
test inputs here, and must match NumPy on them (values and dtypes).

Adding a NumPy name to funcgrad.numpy without a row here fails
`test_every_implemented_name_has_cases`; a name whose result drifts from
NumPy's fails `test_matches_numpy`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.numpy._ufuncs import UFUNCS

rng = np.random.default_rng(0)
V = np.array([0.25, -1.5, 2.0, 0.75, -0.5])             # vector
W = np.array([1.0, 0.5, -2.0, 3.0, 0.25])
P = np.array([0.1, 0.35, 0.6, 0.85, 0.95])              # in (0, 1)
G = np.array([1.5, 2.0, 3.5, 1.25, 4.0])                # > 1
A = rng.standard_normal((3, 4))                         # matrix
B = rng.standard_normal((4, 2))
S = rng.standard_normal((3, 3))
IDX = np.array([3, 1, 2, 1, 0])                           # ints
N = np.array([0.5, np.nan, 2.0, -1.0, np.nan])          # with NaNs
C = np.array([1 + 2j, -0.5 + 0.25j, 3 - 1j])            # complex

Case = Callable[[Any], Any]

# Unary ufuncs whose domain is not the whole real line.
_DOMAIN = {"arccos": P, "arcsin": P, "arctanh": P, "acos": P, "asin": P, "atanh": P,
           "arccosh": G, "acosh": G, "log": G, "log2": G, "log10": G, "log1p": P, "sqrt": G,
           "reciprocal": G, "invert": IDX, "bitwise_not": IDX}
_INT_BINARY = {"bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift",
               "floor_divide", "remainder", "mod", "fmod"}


def _ufunc_cases(name: str) -> list[Case]:
    uf = UFUNCS[name]
    if uf.nin == 1:
        x = _DOMAIN.get(name, V)
        return [lambda m, x=x: getattr(m, name)(x)]
    if name in _INT_BINARY:
        return [lambda m: getattr(m, name)(IDX + 1, np.array([1, 2, 1, 3, 2])),
                lambda m: getattr(m, name)(V, 0.75) if name in ("floor_divide", "remainder",
                                                                 "mod", "fmod") else
                getattr(m, name)(IDX, 1)]
    if name in ("power", "pow"):
        return [lambda m: getattr(m, name)(G, W), lambda m: getattr(m, name)(IDX, 2)]
    return [lambda m: getattr(m, name)(V, W), lambda m: getattr(m, name)(A, 0.5)]


CASES: dict[str, list[Case]] = {
    # aliases of ufuncs spelled the array-API way
    **{n: [lambda m, n=n: getattr(m, n)(P)] for n in ("acos", "asin", "atan", "atanh")},
    "acosh": [lambda m: m.acosh(G)], "asinh": [lambda m: m.asinh(V)],
    "atan2": [lambda m: m.atan2(V, W)], "pow": [lambda m: m.pow(G, W)],
    # creation
    "arange": [lambda m: m.arange(5), lambda m: m.arange(1.0, 3.0, 0.5)],
    "array": [lambda m: m.array([[1, 2], [3, 4]]), lambda m: m.array(V, dtype=np.float32)],
    "asarray": [lambda m: m.asarray([1.5, 2.5])], "copy": [lambda m: m.copy(V)],
    "from_dlpack": [lambda m: m.from_dlpack(A)],
    "empty": [lambda m: m.empty((2, 3)).shape], "empty_like": [lambda m: m.empty_like(A).shape],
    "eye": [lambda m: m.eye(3, 4, k=1)], "identity": [lambda m: m.identity(3)],
    "full": [lambda m: m.full((2, 2), 7.0)], "full_like": [lambda m: m.full_like(A, 2)],
    "ones": [lambda m: m.ones((2, 3), dtype=np.int32)], "ones_like": [lambda m: m.ones_like(IDX)],
    "zeros": [lambda m: m.zeros(4)], "zeros_like": [lambda m: m.zeros_like(A)],
    "linspace": [lambda m: m.linspace(0.0, 1.0, 7), lambda m: m.linspace(0, 2, 4,
                                                                           endpoint=False)],
    "tri": [lambda m: m.tri(3, 4, k=-1)], "meshgrid": [lambda m: m.meshgrid(V[:2], W[:3])],
    "vander": [lambda m: m.vander(V[:3], 4)],
    # reductions and statistics
    "sum": [lambda m: m.sum(A, axis=1), lambda m: m.sum(IDX)], "prod": [lambda m: m.prod(A, 0)],
    "max": [lambda m: m.max(A, axis=0)], "min": [lambda m: m.min(A)],
    "amax": [lambda m: m.amax(A, 1)], "amin": [lambda m: m.amin(A, 1)],
    "mean": [lambda m: m.mean(A, axis=0, keepdims=True), lambda m: m.mean(IDX)],
    "var": [lambda m: m.var(A, ddof=1)], "std": [lambda m: m.std(A, axis=1)],
    "argmax": [lambda m: m.argmax(A, axis=1)], "argmin": [lambda m: m.argmin(A)],
    "all": [lambda m: m.all(A > -3)], "any": [lambda m: m.any(A > 1, axis=0)],
    "cumsum": [lambda m: m.cumsum(A, axis=1)], "cumprod": [lambda m: m.cumprod(V)],
    "cumulative_sum": [lambda m: m.cumulative_sum(V)],
    "cumulative_prod": [lambda m: m.cumulative_prod(V)],
    "average": [lambda m: m.average(A, axis=1, weights=W[:4])],
    "median": [lambda m: m.median(A, axis=0)], "percentile": [lambda m: m.percentile(V, 30)],
    "quantile": [lambda m: m.quantile(A, 0.4, axis=1)], "ptp": [lambda m: m.ptp(A, axis=0)],
    "cov": [lambda m: m.cov(A)], "corrcoef": [lambda m: m.corrcoef(A)],
    "count_nonzero": [lambda m: m.count_nonzero(IDX)],
    "bincount": [lambda m: m.bincount(IDX)],
    "histogram": [lambda m: m.histogram(V, bins=3)],
    "histogram_bin_edges": [lambda m: m.histogram_bin_edges(V, bins=4)],
    **{n: [lambda m, n=n: getattr(m, n)(N)] for n in (
        "nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanstd", "nanvar", "nanargmax",
        "nanargmin", "nancumsum", "nancumprod", "nanmedian")},
    "nanpercentile": [lambda m: m.nanpercentile(N, 50)],
    "nanquantile": [lambda m: m.nanquantile(N, 0.25)],
    # shapes
    "reshape": [lambda m: m.reshape(A, (2, -1))], "ravel": [lambda m: m.ravel(A)],
    "transpose": [lambda m: m.transpose(A)], "permute_dims": [lambda m: m.permute_dims(A, (1, 0))],
    "matrix_transpose": [lambda m: m.matrix_transpose(A)],
    "swapaxes": [lambda m: m.swapaxes(A, 0, 1)], "moveaxis": [lambda m: m.moveaxis(A, 0, -1)],
    "squeeze": [lambda m: m.squeeze(A[None])], "expand_dims": [lambda m: m.expand_dims(V, 1)],
    "broadcast_to": [lambda m: m.broadcast_to(V, (2, 5))],
    "broadcast_arrays": [lambda m: m.broadcast_arrays(V, A[:, :1])[1]],
    "broadcast_shapes": [lambda m: m.broadcast_shapes((3, 1), (1, 4))],
    "atleast_1d": [lambda m: m.atleast_1d(1.0)], "atleast_2d": [lambda m: m.atleast_2d(V)],
    "atleast_3d": [lambda m: m.atleast_3d(A)],
    "concatenate": [lambda m: m.concatenate([A, A], axis=1)],
    "stack": [lambda m: m.stack([V, W], axis=1)], "vstack": [lambda m: m.vstack([V, W])],
    "hstack": [lambda m: m.hstack([V, W])], "dstack": [lambda m: m.dstack([V, W])],
    "column_stack": [lambda m: m.column_stack([V, W])],
    "split": [lambda m: m.split(A, 2, axis=1)], "array_split": [lambda m: m.array_split(V, 3)],
    "hsplit": [lambda m: m.hsplit(A, 2)], "vsplit": [lambda m: m.vsplit(A[:2], 2)],
    "dsplit": [lambda m: m.dsplit(A[:, :, None].repeat(2, 2), 2)],
    "flip": [lambda m: m.flip(A, 1)], "fliplr": [lambda m: m.fliplr(A)],
    "flipud": [lambda m: m.flipud(A)], "roll": [lambda m: m.roll(V, 2)],
    "rot90": [lambda m: m.rot90(A)], "tile": [lambda m: m.tile(V, (2, 1))],
    "repeat": [lambda m: m.repeat(V, 2)], "pad": [lambda m: m.pad(A, 1, mode="reflect")],
    "shape": [lambda m: m.shape(A)], "ndim": [lambda m: m.ndim(A)], "size": [lambda m: m.size(A)],
    # selection and indexing
    "where": [lambda m: m.where(V > 0, V, W)], "clip": [lambda m: m.clip(V, -1, 1)],
    "select": [lambda m: m.select([V > 1, V < 0], [V, W], 0.5)],
    "take": [lambda m: m.take(V, IDX)], "take_along_axis": [
        lambda m: m.take_along_axis(A, np.argsort(A, axis=1), axis=1)],
    "ix_": [lambda m: m.ix_(np.array([0, 2]), np.array([1, 3]))[1]],
    "nonzero": [lambda m: m.nonzero(IDX)], "flatnonzero": [lambda m: m.flatnonzero(IDX)],
    "argwhere": [lambda m: m.argwhere(A > 0)],
    "diag": [lambda m: m.diag(A), lambda m: m.diag(V)], "diagflat": [lambda m: m.diagflat(V[:3])],
    "diagonal": [lambda m: m.diagonal(A, 1)], "trace": [lambda m: m.trace(S)],
    "tril": [lambda m: m.tril(A)], "triu": [lambda m: m.triu(A, 1)],
    # sorting and searching
    "sort": [lambda m: m.sort(A, axis=0)], "argsort": [lambda m: m.argsort(V)],
    "lexsort": [lambda m: m.lexsort((V, IDX))],
    "searchsorted": [lambda m: m.searchsorted(np.sort(V), W)],
    "unique": [lambda m: m.unique(IDX)],
    "unique_values": [lambda m: np.sort(np.asarray(m.unique_values(IDX)))],   # order unspecified
    # contractions and polynomials
    "dot": [lambda m: m.dot(A, B)], "matmul": [lambda m: m.matmul(A, B)],
    "vdot": [lambda m: m.vdot(V, W)], "inner": [lambda m: m.inner(V, W)],
    "outer": [lambda m: m.outer(V, W)], "tensordot": [lambda m: m.tensordot(A, B, axes=1)],
    "einsum": [lambda m: m.einsum("ij,jk->ik", A, B), lambda m: m.einsum("ii", S)],
    "einsum_path": [lambda m: len(m.einsum_path("ij,jk->ik", A, B)[0])],
    "kron": [lambda m: m.kron(S[:2, :2], A[:2, :2])], "cross": [lambda m: m.cross(V[:3], W[:3])],
    "diff": [lambda m: m.diff(V, 2)], "ediff1d": [lambda m: m.ediff1d(V)],
    "polyval": [lambda m: m.polyval(W[:3], V)], "interp": [lambda m: m.interp(V, np.sort(G), W)],
    "trapezoid": [lambda m: m.trapezoid(V, G)],
    "convolve": [lambda m: m.convolve(V, W[:3]), lambda m: m.convolve(V, W[:3], "same")],
    "correlate": [lambda m: m.correlate(V, W[:3], "valid")],
    # elementwise helpers that are not ufuncs here
    "round": [lambda m: m.round(V * 10.3, 1)], "around": [lambda m: m.around(V, 1)],
    "sinc": [lambda m: m.sinc(V)], "heaviside": [lambda m: m.heaviside(V, 0.5)],
    "logaddexp2": [lambda m: m.logaddexp2(V, W)], "nan_to_num": [lambda m: m.nan_to_num(N)],
    "real": [lambda m: m.real(C)], "imag": [lambda m: m.imag(C)],
    "angle": [lambda m: m.angle(C)],
    **{n: [lambda m, n=n: getattr(m, n)(C), lambda m, n=n: getattr(m, n)(V)]
       for n in ("isreal", "iscomplex", "isrealobj", "iscomplexobj")},
    "isclose": [lambda m: m.isclose(V, V + 1e-9)], "allclose": [lambda m: m.allclose(V, W)],
    "array_equal": [lambda m: m.array_equal(V, V)],
    # dtype utilities
    "result_type": [lambda m: m.result_type(np.float32, 2.0)],
    "promote_types": [lambda m: m.promote_types(np.int8, np.uint8)],
    "issubdtype": [lambda m: m.issubdtype(np.float32, np.floating)],
    "isscalar": [lambda m: m.isscalar(3.0)], "finfo": [lambda m: m.finfo(np.float32).eps],
    "iinfo": [lambda m: m.iinfo(np.int16).max],
    # set routines
    "isin": [lambda m: m.isin(IDX, [1, 3]), lambda m: m.isin(A, V, invert=True)],
    "intersect1d": [lambda m: m.intersect1d(IDX, [1, 3, 7]),
                    lambda m: m.intersect1d(IDX, [0, 1, 1], return_indices=True)],
    "union1d": [lambda m: m.union1d(IDX, [7, 1]), lambda m: m.union1d(N, V)],
    "setdiff1d": [lambda m: m.setdiff1d(IDX, [1])],
    "setxor1d": [lambda m: m.setxor1d(IDX, [1, 7])],
    # index tricks
    "indices": [lambda m: m.indices((2, 3)), lambda m: m.indices((2, 3), sparse=True)],
    "tril_indices": [lambda m: m.tril_indices(3, -1, 4)],
    "triu_indices": [lambda m: m.triu_indices(4, 1)],
    "tril_indices_from": [lambda m: m.tril_indices_from(A)],
    "triu_indices_from": [lambda m: m.triu_indices_from(A, 1)],
    "diag_indices": [lambda m: m.diag_indices(3, 3)],
    "diag_indices_from": [lambda m: m.diag_indices_from(S)],
    "mask_indices": [lambda m: m.mask_indices(3, np.triu, 1)],
    "unravel_index": [lambda m: m.unravel_index(IDX * 5, (4, 5)),
                      lambda m: m.unravel_index(IDX, (2, 3), order="F")],
    "ravel_multi_index": [lambda m: m.ravel_multi_index((IDX, IDX[::-1]), (4, 5)),
                          lambda m: m.ravel_multi_index((IDX + 3, IDX), (4, 5), mode="clip")],
    "fill_diagonal": [lambda m: _fill_diagonal(m, A.copy(), 9.0)],
    # polynomials
    "poly": [lambda m: m.poly(V[:3]), lambda m: m.poly(S)],
    "polyadd": [lambda m: m.polyadd(V[:2], W)], "polysub": [lambda m: m.polysub(W, V[:3])],
    "polymul": [lambda m: m.polymul(V[:3], W[:2])], "polyder": [lambda m: m.polyder(W, 2)],
    "polyint": [lambda m: m.polyint(W[:3], 2, k=[1.0, 2.0])],
    "polydiv": [lambda m: m.polydiv(W, np.array([2.0, 1.0]))],
    "polyfit": [lambda m: m.polyfit(G, V, 2), lambda m: m.polyfit(G, V, 1, w=P)],
    "roots": [lambda m: m.roots(np.array([1.0, 0.0, 4.0]))],
    # floats and integers taken apart
    "ldexp": [lambda m: m.ldexp(V, IDX)], "frexp": [lambda m: m.frexp(np.append(V, 0.0))],
    "modf": [lambda m: m.modf(np.append(V, -0.0))], "divmod": [lambda m: m.divmod(IDX, 2)],
    "signbit": [lambda m: m.signbit(np.append(V, -0.0))], "spacing": [lambda m: m.spacing(V)],
    "float_power": [lambda m: m.float_power(IDX, 2)],
    "isposinf": [lambda m: m.isposinf(np.array([np.inf, -np.inf, 1.0]))],
    "isneginf": [lambda m: m.isneginf(np.array([np.inf, -np.inf, 1.0]))],
    "gcd": [lambda m: m.gcd(IDX * 6, np.array([4, 9, 0, 6, 5]))],
    "lcm": [lambda m: m.lcm(IDX, np.array([4, 6, 0, 6, 5]))],
    "bitwise_count": [lambda m: m.bitwise_count(IDX * -7)],
    "bitwise_invert": [lambda m: m.bitwise_invert(IDX)],
    "bitwise_left_shift": [lambda m: m.bitwise_left_shift(IDX, 2)],
    "bitwise_right_shift": [lambda m: m.bitwise_right_shift(IDX * 9, 1)],
    # windows
    **{n: [lambda m, n=n: getattr(m, n)(6), lambda m, n=n: getattr(m, n)(1)]
       for n in ("bartlett", "blackman", "hamming", "hanning")},
    "kaiser": [lambda m: m.kaiser(6, 14.0), lambda m: m.kaiser(5, 0.5)],
    "i0": [lambda m: m.i0(V), lambda m: m.i0(IDX)],
    # rearranging
    "append": [lambda m: m.append(A, V), lambda m: m.append(A, A, axis=0)],
    "insert": [lambda m: m.insert(A, 1, 5.0, axis=1), lambda m: m.insert(V, [0, 2, 2], W[:3])],
    "delete": [lambda m: m.delete(A, 1, axis=1), lambda m: m.delete(V, [0, 3])],
    "block": [lambda m: m.block([[S, S[:, :1]], [S[:1], S[:1, :1]]])],
    "resize": [lambda m: m.resize(V, (3, 4))], "rollaxis": [lambda m: m.rollaxis(A[None], 2)],
    "unstack": [lambda m: m.unstack(A, axis=1)], "concat": [lambda m: m.concat([A, A], axis=1)],
    "put_along_axis": [lambda m: _put_along_axis(m, A.copy())],
    "choose": [lambda m: m.choose(IDX % 2, [V, W]),
               lambda m: m.choose(IDX, [V, W], mode="clip")],
    "compress": [lambda m: m.compress([True, False, True], A, axis=0)],
    "extract": [lambda m: m.extract(A > 0, A)],
    "trim_zeros": [lambda m: m.trim_zeros(np.array([0, 0, 1, 2, 0]))],
    "partition": [lambda m: np.asarray(m.partition(V, 2))[2]],
    "argpartition": [lambda m: V[np.asarray(m.argpartition(V, 2))][2]],
    "sort_complex": [lambda m: m.sort_complex(IDX)],
    "fromfunction": [lambda m: m.fromfunction(lambda i, j: i * 3 + j, (2, 3))],
    "logspace": [lambda m: m.logspace(0, 2, 5), lambda m: m.logspace(0, 3, 4, base=2.0)],
    "geomspace": [lambda m: m.geomspace(1, 1000, 4), lambda m: m.geomspace(-1, -16, 5)],
    # calculus and bins
    "gradient": [lambda m: m.gradient(V), lambda m: m.gradient(V, G, edge_order=2),
                 lambda m: m.gradient(A, 0.5)],
    "unwrap": [lambda m: m.unwrap(np.array([0.0, 3.0, 6.5, 1.0, -4.0]))],
    "digitize": [lambda m: m.digitize(V, np.array([-1.0, 0.0, 1.0])),
                 lambda m: m.digitize(V, np.array([1.0, 0.0, -1.0]), right=True)],
    "histogram2d": [lambda m: m.histogram2d(V, W, bins=3)],
    "histogramdd": [lambda m: m.histogramdd(A.T, bins=2)],
    # functions of functions
    "apply_along_axis": [lambda m: m.apply_along_axis(lambda v: v[::-1] * 2, 1, A)],
    "apply_over_axes": [lambda m: m.apply_over_axes(m.sum, A, [0, 1])],
    "piecewise": [lambda m: m.piecewise(V, [V < 0, V > 1], [lambda v: -v, 1.0, 0.5])],
    # array API and conversions
    "astype": [lambda m: m.astype(V, np.int32)], "isdtype": [
        lambda m: m.isdtype(np.float32, ("integral", "real floating"))],
    "can_cast": [lambda m: m.can_cast(np.int32, np.float32)],
    "vecdot": [lambda m: m.vecdot(C, C[::-1])], "matvec": [lambda m: m.matvec(A, W[:4])],
    "vecmat": [lambda m: m.vecmat(V[:3], A)],
    "array_equiv": [lambda m: m.array_equiv(V, np.stack([V, V]))],
    "asarray_chkfinite": [lambda m: m.asarray_chkfinite(V)],
    "ascontiguousarray": [lambda m: m.ascontiguousarray(A.T)],
    "asfortranarray": [lambda m: m.asfortranarray(A)],
    "iterable": [lambda m: m.iterable(V), lambda m: m.iterable(2.0)],
    "real_if_close": [lambda m: m.real_if_close(C.real + 1e-15j)],
    # dtypes, memory, text and host constructors
    "common_type": [lambda m: m.common_type(IDX, V.astype(np.float32))],
    "min_scalar_type": [lambda m: m.min_scalar_type(10)],
    "mintypecode": [lambda m: m.mintypecode(["f", "d"])], "typename": [lambda m: m.typename("d")],
    "asanyarray": [lambda m: m.asanyarray([1, 2])], "require": [lambda m: m.require(V, None, "C")],
    "isfortran": [lambda m: m.isfortran(np.ones((2, 2)))],
    "shares_memory": [lambda m: m.shares_memory(V, W)],
    "may_share_memory": [lambda m: m.may_share_memory(V, W)],
    "frombuffer": [lambda m: m.frombuffer(V.tobytes())],
    "fromiter": [lambda m: m.fromiter(range(4), np.int64)],
    "fromstring": [lambda m: m.fromstring("1 2 3", sep=" ")],
    "array2string": [lambda m: m.array2string(m.asarray(V), precision=2)],
    "array_repr": [lambda m: m.array_repr(m.asarray(A)).replace("Array", "array")],
    "array_str": [lambda m: m.array_str(m.asarray(V))],
    "packbits": [lambda m: m.packbits(IDX > 1), lambda m: m.packbits(A > 0, axis=1,
                                                                    bitorder="little")],
    "unpackbits": [lambda m: m.unpackbits(np.array([3, 200], np.uint8)),
                   lambda m: m.unpackbits(np.array([[7], [9]], np.uint8), axis=1, count=5)],
    "unique_all": [lambda m: tuple(m.unique_all(IDX))],
    "unique_counts": [lambda m: tuple(m.unique_counts(IDX))],
    "unique_inverse": [lambda m: tuple(m.unique_inverse(IDX))],
}


def _fill_diagonal(m: Any, a: np.ndarray, val: float) -> Any:
    if m is np:
        np.fill_diagonal(a, val)
        return a
    return m.fill_diagonal(a, val, inplace=False)


def _put_along_axis(m: Any, a: np.ndarray) -> Any:
    idx = np.array([[1], [0], [3]])
    if m is np:
        np.put_along_axis(a, idx, 7.0, 1)
        return a
    return m.put_along_axis(a, idx, 7.0, 1, inplace=False)


def implemented_names() -> list[str]:
    return sorted(n for n in dir(fnp) if not n.startswith("_") and hasattr(np, n)
                  and callable(getattr(fnp, n)) and not isinstance(getattr(fnp, n), type))


def _cases(name: str) -> list[Case]:
    if name in CASES:
        return CASES[name]
    if name in UFUNCS:
        return _ufunc_cases(name)
    return []


def test_every_implemented_name_has_cases() -> None:
    missing = [n for n in implemented_names() if not _cases(n)]
    assert not missing, f"funcgrad.numpy names without coverage cases: {missing}"
    assert len(implemented_names()) > 200


def _compare(got: Any, want: Any, where: str) -> None:
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _compare(g, w, f"{where}[{i}]")
        return
    if isinstance(want, (np.ndarray, np.generic)) or isinstance(got, fg.Array):
        w = np.asarray(want)
        g = np.asarray(got)
        assert g.shape == w.shape, f"{where}: shape {g.shape} != NumPy's {w.shape}"
        assert g.dtype == w.dtype, f"{where}: dtype {g.dtype} != NumPy's {w.dtype}"
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12, equal_nan=True,
                                   err_msg=where)
        return
    assert got == want, f"{where}: {got!r} != NumPy's {want!r}"


@pytest.mark.parametrize("name", implemented_names())
def test_matches_numpy(name: str) -> None:
    for i, case in enumerate(_cases(name)):
        _compare(case(fnp), case(np), f"{name} case {i}")
