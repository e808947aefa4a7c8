"""funcgrad.scipy.signal and funcgrad.scipy.fft (DCTs) against SciPy (values, shapes,
dtypes), and gradients against JAX (x64); jit and vmap on a sample of each."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.fft as jfft
import jax.scipy.signal as jsig
import numpy as np
import pytest
import scipy.fft as sfft
import scipy.signal as ssig

import funcgrad as fg
import funcgrad.numpy as fnp
import funcgrad.scipy.fft as ffft
import funcgrad.scipy.signal as fsig
from funcgrad.testing import check_grads

RNG = np.random.default_rng(0)


def _close(got, want, atol=1e-10):
    got = np.asarray(got)
    assert got.shape == np.shape(want)
    assert got.dtype == np.asarray(want).dtype
    np.testing.assert_allclose(got, want, atol=atol, rtol=1e-9)


def _pair(shape1, shape2, cplx):
    a, b = RNG.normal(size=shape1), RNG.normal(size=shape2)
    if cplx:
        a, b = a + 1j * RNG.normal(size=shape1), b + 1j * RNG.normal(size=shape2)
    return a, b


# Shapes in every size order SciPy allows; "valid" only where one input dominates.
SHAPES = [((7,), (3,)), ((3,), (6,)), ((5, 4), (2, 3)), ((3, 5), (4, 2))]


def _conv_cases():
    cases = []
    for s1, s2 in SHAPES:
        dominated = (all(p >= q for p, q in zip(s1, s2, strict=True))
                     or all(p <= q for p, q in zip(s1, s2, strict=True)))
        a, b = _pair(s1, s2, cplx=len(s1) == 2)
        for mode in ("full", "same", "valid") if dominated else ("full", "same"):
            for method in ("direct", "fft") if len(s1) == 1 else ("direct",):
                cases.append((a, b, mode, method))
    return cases


def test_convolutions_match_scipy():
    cases = _conv_cases()
    b2 = [(_pair((5, 4), (2, 3), cplx=True), mode, bd, fill) for mode in ("full", "same")
          for bd, fill in (("fill", 1.5), ("wrap", 0.0), ("symm", 0.0))]
    b2 += [(_pair(s1, s2, cplx=True), mode, "fill", 0.0)
           for s1, s2 in [((5, 4), (2, 3)), ((2, 3), (5, 4))] for mode in ("full", "same", "valid")]
    x3, y3 = RNG.normal(size=(3, 8, 5)), RNG.normal(size=(1, 3, 5))

    def every(pairs, pairs2, x, y):
        out = [(fsig.convolve(a, b, m, meth), fsig.correlate(a, b, m, meth))
               for (a, b), (_, _, m, meth) in zip(pairs, cases, strict=True)]
        out2 = [(fsig.convolve2d(a, b, m, bd, fill), fsig.correlate2d(a, b, m, bd, fill))
                for (a, b), (_, m, bd, fill) in zip(pairs2, b2, strict=True)]
        return out, out2, [fsig.fftconvolve(x, y, m, axes=1) for m in ("full", "same", "valid")]

    got, got2, got3 = fg.jit(every)([c[:2] for c in cases], [c[0] for c in b2], x3, y3)
    for (a, b, mode, method), (cv, cr) in zip(cases, got, strict=True):
        _close(cv, ssig.convolve(a, b, mode, method))
        _close(cr, ssig.correlate(a, b, mode, method))
    for ((a, b), mode, bd, fill), (cv, cr) in zip(b2, got2, strict=True):
        _close(cv, ssig.convolve2d(a, b, mode, bd, fill))
        _close(cr, ssig.correlate2d(a, b, mode, bd, fill))
    for mode, g in zip(("full", "same", "valid"), got3, strict=True):
        _close(g, ssig.fftconvolve(x3, y3, mode, axes=1))
    _close(fsig.convolve(np.arange(5), np.array([1, 2])),
           ssig.convolve(np.arange(5.0), np.array([1.0, 2.0])))


def test_convolution_grads_vmap_errors():
    a, b = RNG.normal(size=(6, 5)), RNG.normal(size=(3, 2))

    def loss(mod, x, y):
        out = (mod.convolve(x, y, "same") ** 2).sum() + (mod.correlate2d(x, y, "full") ** 3).sum()
        out = out + (mod.fftconvolve(x, y, "valid") ** 2).sum()
        return out + (mod.detrend(x * y[0, 0]) ** 3).sum()

    got = fg.jit(fg.grad(lambda x, y: loss(fsig, x, y), argnums=(0, 1)))(a, b)
    want = jax.jit(jax.grad(lambda x, y: loss(jsig, x, y), argnums=(0, 1)))(a, b)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-9, atol=1e-9)
    check_grads(lambda x: fsig.convolve(x, b[:, 0], "same", method="fft"), (a[0],), order=1)
    kernels = b[:, :1].repeat(2, 0)
    batched = fg.vmap(lambda x, y: fsig.convolve(x, y, "same"))(a, kernels)
    _close(batched, np.stack([ssig.convolve(x, y, "same")
                              for x, y in zip(a, kernels, strict=True)]))
    with pytest.raises(ValueError, match="same number of dimensions"):
        fsig.convolve(np.ones(3), np.ones((2, 2)))
    with pytest.raises(ValueError, match="mode must be"):
        fsig.convolve(np.ones(3), np.ones(2), mode="circular")
    with pytest.raises(ValueError, match="method must be"):
        fsig.convolve(np.ones(3), np.ones(2), method="overlap-add")
    with pytest.raises(ValueError, match="at least as large"):
        fsig.convolve(np.ones((3, 2)), np.ones((2, 3)), mode="valid")
    with pytest.raises(ValueError, match="2-d"):
        fsig.convolve2d(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="boundary must be"):
        fsig.convolve2d(np.ones((3, 3)), np.ones((2, 2)), boundary="edge")
    with pytest.raises(ValueError, match="zero-size"):
        fsig.fftconvolve(np.ones(0), np.ones(2))
    with pytest.raises(ValueError, match="type must be"):
        fsig.detrend(a, type="quadratic")
    with pytest.raises(NotImplementedError, match="overwrite_data"):
        fsig.detrend(a, overwrite_data=True)


def test_detrend_matches_scipy():
    x = RNG.normal(size=(3, 20))
    kinds = [(kind, bp) for kind in ("linear", "constant") for bp in ((0,), (5, 12))]
    got = fg.jit(lambda v: [(fsig.detrend(v, type=k, bp=bp), fsig.detrend(v.T, 0, k, bp))
                            for k, bp in kinds])(x)
    for (kind, bp), (g, g0) in zip(kinds, got, strict=True):
        _close(g, ssig.detrend(x, type=kind, bp=bp))
        _close(g0, ssig.detrend(x.T, axis=0, type=kind, bp=bp))
    _close(fsig.detrend(np.arange(6) ** 2), ssig.detrend(np.arange(6.0) ** 2))


STFT_KW = [dict(nperseg=16), dict(nperseg=15, noverlap=5, nfft=20, boundary="odd"),
           dict(nperseg=16, boundary="even", padded=False, detrend="linear"),
           dict(nperseg=16, boundary=None, return_onesided=False),
           dict(nperseg=8, window="hamming", boundary="constant", axis=0)]
WELCH_KW = [dict(nperseg=16), dict(nperseg=15, noverlap=3, nfft=17, detrend="linear"),
            dict(nperseg=16, scaling="spectrum", average="median"),
            dict(nperseg=16, return_onesided=False, detrend=False, axis=0)]
ISTFT_KW = [dict(nperseg=16), dict(nperseg=15, noverlap=10), dict(nperseg=16, nfft=20)]


def test_spectral_match_scipy():
    x, y = RNG.normal(size=(3, 50)), RNG.normal(size=(3, 50))
    xt = x[:2, :16].T
    zs = [ssig.stft(x, **kw)[2] for kw in ISTFT_KW]
    z2 = np.moveaxis(ssig.stft(x, nperseg=16, return_onesided=False)[2], -1, 0)
    k2 = dict(nperseg=16, input_onesided=False, time_axis=0, freq_axis=-1)

    def every(v, w, vt, fs, zs, z2):
        pick = lambda kw: vt if kw.get("axis") == 0 else v  # noqa: E731
        return ([fsig.stft(pick(kw), fs, **kw) for kw in STFT_KW],
                [(fsig.welch(pick(kw), fs, **kw), fsig.csd(pick(kw), pick(kw) + w[:1, :1], fs,
                                                           **kw)) for kw in WELCH_KW],
                [fsig.istft(z, fs, **kw) for z, kw in zip(zs, ISTFT_KW, strict=True)],
                fsig.istft(z2, fs, **k2), fsig.welch(fnp.tile(v[0], 12)))

    got = fg.jit(every)(x, y, xt, 3.0, zs, z2)
    for kw, g in zip(STFT_KW, got[0], strict=True):
        want = ssig.stft(xt if kw.get("axis") == 0 else x, 3.0, **kw)
        for a, b in zip(g, want, strict=True):
            _close(a, b)
    for kw, (gw, gc) in zip(WELCH_KW, got[1], strict=True):
        v = xt if kw.get("axis") == 0 else x
        for a, b in zip(gw + gc, ssig.welch(v, 3.0, **kw) + ssig.csd(v, v + y[:1, :1], 3.0, **kw),
                        strict=True):
            _close(a, b)
    for z, kw, g in zip(zs, ISTFT_KW, got[2], strict=True):
        for a, b in zip(g, ssig.istft(z, 3.0, **kw), strict=True):
            _close(a, b)
    for a, b in zip(got[3], ssig.istft(z2, 3.0, **k2), strict=True):
        _close(a, b)
    for a, b in zip(got[4], ssig.welch(np.tile(x[0], 12)), strict=True):   # default nperseg 256
        _close(a, b)


def test_spectral_grads_vmap_errors():
    x = RNG.normal(size=(3, 40))
    batched = fg.vmap(lambda v: fsig.stft(v, nperseg=8)[2])(x)
    _close(batched, ssig.stft(x, nperseg=8)[2])

    def loss(mod, v):
        z = mod.stft(v, nperseg=8)[2]
        rec = mod.istft(z * z.conj() + z, nperseg=8)[1]
        return (mod.welch(v, nperseg=16)[1] ** 2).sum() + (rec ** 2).sum()

    got = fg.jit(fg.grad(lambda v: loss(fsig, v)))(x[0])
    want = jax.jit(jax.grad(lambda v: loss(jsig, v)))(x[0])
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-8, atol=1e-10)
    with pytest.raises(ValueError, match="noverlap"):
        fsig.welch(x, nperseg=8, noverlap=8)
    with pytest.raises(ValueError, match="nfft"):
        fsig.stft(x, nperseg=8, nfft=4)
    with pytest.raises(ValueError, match="boundary must be"):
        fsig.stft(x, nperseg=8, boundary="periodic")
    with pytest.raises(ValueError, match="average must be"):
        fsig.welch(x, nperseg=8, average="mode")
    with pytest.raises(ValueError, match="differ"):
        fsig.istft(np.ones((5, 4)), time_axis=0, freq_axis=0)


def test_dct_match_scipy():
    x = RNG.normal(size=(3, 7, 6))
    cases = [(t, norm, n, axis) for t in (1, 2, 3, 4) for norm in (None, "ortho", "forward")
             for n, axis in ((None, -1), (9, 0))]
    got = fg.jit(lambda v: ([(ffft.dct(v, t, n, a, norm), ffft.idct(v, t, n, a, norm))
                             for t, norm, n, a in cases],
                            [(ffft.dctn(v, t, s=(4, 8), axes=(0, 2)),
                              ffft.idctn(v, t, norm="ortho")) for t in (1, 2, 3, 4)]))(x)
    for (t, norm, n, axis), (d, i) in zip(cases, got[0], strict=True):
        _close(d, sfft.dct(x, t, n, axis, norm))
        _close(i, sfft.idct(x, t, n, axis, norm))
    for t, (d, i) in zip((1, 2, 3, 4), got[1], strict=True):
        _close(d, sfft.dctn(x, t, s=(4, 8), axes=(0, 2)))
        _close(i, sfft.idctn(x, t, norm="ortho"))
    xc = x[0] + 1j * x[1]
    _close(ffft.dct(xc), sfft.dct(xc))
    _close(ffft.dct(np.arange(5)), sfft.dct(np.arange(5.0)))


def test_dct_grads_vmap_errors():
    x = RNG.normal(size=(4, 6))

    def loss(mod, v):
        return ((mod.dctn(v, norm="ortho") ** 3).sum() + (mod.idct(v, n=8) ** 2).sum())

    got = fg.jit(fg.grad(lambda v: loss(ffft, v)))(x)
    want = jax.jit(jax.grad(lambda v: loss(jfft, v)))(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-10)
    check_grads(lambda v: ffft.dct(v, type=4) + ffft.dct(v, type=1), (x[0],), order=1)
    _close(fg.vmap(lambda v: ffft.dct(v, type=3))(x), sfft.dct(x, 3))
    with pytest.raises(ValueError, match="type must be"):
        ffft.dct(x, type=5)
    with pytest.raises(ValueError, match="norm must be"):
        ffft.idct(x, norm="unitary")
    with pytest.raises(ValueError, match="at least 2 points"):
        ffft.dct(np.ones(1), type=1)
    with pytest.raises(ValueError, match="same length"):
        ffft.dctn(x, s=(3,), axes=(0, 1))
