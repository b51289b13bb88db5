"""Teaching demos: short notebooks that each teach one idea of the two papers.

Each demo is a Jupyter notebook kept as a plain-text percent-format Python file
(``demos/NN_name.py``: ``# %% [markdown]`` narrative cells and ``# %%`` code
cells), built only on the public API of ``sims``, ``theory`` and ``checks``,
so the demos double as usage examples.

* In a terminal: ``sandbox demo`` lists them, ``sandbox demo NAME`` prints the
  narrative, runs the code cells and saves the figures (:mod:`demos.runner`).
* In Jupyter: ``jupytext --from py:percent --to notebook demos/NN_name.py``
  (or open the ``.py`` file directly with the jupytext extension).

:func:`explore` is the one piece of notebook machinery the demos share: it
shows sliders inside a Jupyter kernel that has ``ipywidgets``, and otherwise
just calls the function once with the sliders' default values, so every demo
also runs headless without warnings.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Callable

from sims.params import InvalidParameter

__all__ = ["Slider", "explore"]


@dataclass(frozen=True)
class Slider:
    """A numeric control of :func:`explore`.

    Attributes
    ----------
    low, high : float
        The range, ``low < high`` (both > 0 when ``log``).
    value : float
        The default, in ``[low, high]``: used headless and as the slider's start.
    log : bool
        Logarithmic slider (for step sizes and other scales).
    """

    low: float
    high: float
    value: float
    log: bool = False

    def __post_init__(self):
        numbers = (self.low, self.high, self.value)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in numbers):
            raise InvalidParameter(f"Slider: low, high and value must be finite numbers, got {numbers}")
        if not self.low < self.high or not self.low <= self.value <= self.high:
            raise InvalidParameter(f"Slider: need low < high and low <= value <= high, got {numbers}")
        if self.log and self.low <= 0:
            raise InvalidParameter(f"Slider: a log slider needs low > 0, got low={self.low}")

    def widget(self, ipywidgets, name: str):
        """The ipywidgets control for this slider."""
        if self.log:
            return ipywidgets.FloatLogSlider(
                value=self.value, base=10, min=math.log10(self.low), max=math.log10(self.high), step=0.05, description=name,
                continuous_update=False,  # simulate once the slider is released, not at every pixel
            )
        return ipywidgets.FloatSlider(value=self.value, min=self.low, max=self.high, step=(self.high - self.low) / 100, description=name,
                                     continuous_update=False)


_HINTED = []  # the "install ipywidgets" hint is printed once per kernel


def _kernel_widgets():
    """``ipywidgets`` when running inside a Jupyter kernel that can import it, else None.

    A kernel always has IPython imported and its shell has a ``kernel``
    attribute; a terminal run (``sandbox demo``) has neither, so IPython is
    never imported there.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or not hasattr(shell, "kernel"):
        return None
    try:
        import ipywidgets
    except ImportError:
        if not _HINTED:
            print("(sliders need ipywidgets: pip install ipywidgets; showing the default values)")
            _HINTED.append(True)
        return None
    return ipywidgets


def explore(draw: Callable, **sliders: Slider) -> None:
    """Call ``draw(**values)``: with sliders in Jupyter, once with the defaults elsewhere.

    Parameters
    ----------
    draw : callable
        Draws one figure for the given keyword values (and may print).
    **sliders : Slider
        One slider per keyword argument of ``draw``.
    """
    if not callable(draw):
        raise InvalidParameter(f"explore: draw must be callable, got {draw!r}")
    bad = [name for name, s in sliders.items() if not isinstance(s, Slider)]
    if bad:
        raise InvalidParameter(f"explore: {', '.join(bad)} must be Slider objects")
    widgets = _kernel_widgets()
    if widgets is None:
        draw(**{name: s.value for name, s in sliders.items()})
        return
    import matplotlib.pyplot as plt

    def draw_and_show(**values):
        draw(**values)
        plt.show()  # inside a widget callback the inline backend only displays what is shown

    widgets.interact(draw_and_show, **{name: s.widget(widgets, name) for name, s in sliders.items()})
