"""Symbolic mathematics of gradient clipping (sympy): smoothness, clipping, stable laws, theorems."""
