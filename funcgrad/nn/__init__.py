"""funcgrad.nn: neural-network building blocks with JAX's ``jax.nn`` names.

Activations (relu, gelu, silu, ...), softmax and friends, one_hot,
dot_product_attention, and parameter initializers in
``funcgrad.nn.initializers``; all differentiable, batchable and jittable::

    import funcgrad as fg, funcgrad.nn as nn, funcgrad.random as fr
    w = nn.initializers.glorot_uniform()(fr.key(0), (3, 4))
    probs = nn.softmax(nn.relu(fg.numpy.ones((2, 3)) @ w), axis=-1)
"""
from __future__ import annotations

from funcgrad.nn import initializers
from funcgrad.nn.activations import (celu, elu, gelu, glu, hard_sigmoid, hard_silu, hard_swish,
                                     hard_tanh, identity, leaky_relu, log1mexp, log_sigmoid, mish,
                                     relu, relu6, selu, sigmoid, silu, soft_sign, softplus,
                                     sparse_plus, sparse_sigmoid, squareplus, swish, tanh)
from funcgrad.nn.attention import dot_product_attention
from funcgrad.nn.normalization import (log_softmax, logmeanexp, logsumexp, one_hot, softmax,
                                       standardize)
from funcgrad.nn.scaled import scaled_dot_general, scaled_matmul

__all__ = ["celu", "dot_product_attention", "elu", "gelu", "glu", "hard_sigmoid", "hard_silu",
           "hard_swish", "hard_tanh", "identity", "initializers", "leaky_relu", "log1mexp",
           "log_sigmoid", "log_softmax", "logmeanexp", "logsumexp", "mish", "one_hot", "relu",
           "relu6", "scaled_dot_general", "scaled_matmul", "selu", "sigmoid", "silu",
           "soft_sign", "softmax", "softplus", "sparse_plus", "sparse_sigmoid", "squareplus",
           "standardize", "swish", "tanh"]
