"""Test configuration: hypothesis profiles and IR checks after every transform.

Profiles: ``dev`` (quick, the default) and ``ci`` (more examples); pick with
``FUNCGRAD_HYPOTHESIS_PROFILE=ci``.
"""
from __future__ import annotations

import os

import jax
from hypothesis import HealthCheck, settings

import funcgrad as fg

jax.config.update("jax_enable_x64", True)

settings.register_profile("dev", max_examples=8, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=20, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
settings.load_profile(os.environ.get("FUNCGRAD_HYPOTHESIS_PROFILE", "dev"))

fg.config.update("enable_checks", True)
