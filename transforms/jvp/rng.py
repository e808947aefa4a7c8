"""JVP entries of XLA's random generators: none has a derivative, as in JAX.

rng_bit_generator's outputs are integers (keys and bits); rng_uniform's draw
carries no tangent in JAX either. Both are listed in NO_RULE, so differentiating
through them names the primitive and the reason.
"""
from __future__ import annotations

from funcgrad import primitives as P
from funcgrad.transforms.jvp.interpreter import NO_RULE

NO_RULE[P.rng_bit_generator_p] = (
    "its outputs are integer keys and bits, which carry no tangent; draw floats from the "
    "bits outside the differentiated function")
NO_RULE[P.rng_uniform_p] = (
    "a stateful draw has no derivative in its bounds (JAX defines none); scale a "
    "uniform draw on [0, 1) by the bounds to differentiate in them")
