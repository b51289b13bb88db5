"""Check cases, one module per group of theorems; importing registers them."""

from . import bounded_noise, controls, deterministic, dimension, heavy_tail  # noqa: F401
