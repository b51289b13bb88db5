"""Verification: theorems of :mod:`theory` checked against simulations of :mod:`sims`.

``theory`` never imports ``sims``; this package joins them.
"""
