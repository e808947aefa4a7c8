"""funcgrad.example_libraries: small reference libraries written on funcgrad's
public API, after JAX's ``jax.example_libraries`` (``optimizers``).

Not imported by ``import funcgrad``; import the module you use::

    from funcgrad.example_libraries import optimizers
"""
