"""The shared look and the repeatable saving of every picture (imported only when drawing)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.patches import FancyBboxPatch
from matplotlib.rcsetup import cycler

from ankigen.diagrams.model import Params, Render

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

# A card shows a picture at the card's width, at most 28em (see notetypes.py): on a 390 px phone
# that is about 368 px for WIDTH's 259 points, so 8-point text is 11 px there.
WIDTH, HEIGHT = 3.6, 2.4  # inches
SMALL = 8.0  # points: the smallest text of any picture, 11 px on a phone
PNG_DPI = 200  # 720 x 480 pixels
INK = "#1f1f1f"
PAPER = "#fafaf7"  # near-white card: dark text stays readable on Anki's dark background too
EDGE = "#c8c8c8"
GRID = "#e3e3e3"
# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7f7f7f")

STYLE: dict[RcKeyType, Any] = {
    "svg.hashsalt": "ankigen",  # fixed ids for clip paths and glyphs
    "svg.fonttype": "path",  # glyphs as paths: no font needed on the phone
    "svg.image_inline": True,
    "font.family": "DejaVu Sans",  # shipped with matplotlib, so the same glyphs everywhere
    "font.size": 9,
    "mathtext.fontset": "dejavusans",
    "text.usetex": False,
    "text.color": INK,
    "axes.edgecolor": "#555555",
    "axes.labelcolor": INK,
    "axes.facecolor": "white",
    "axes.grid": True,
    "grid.color": GRID,
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "axes.prop_cycle": cycler(color=PALETTE),
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
    "legend.fontsize": SMALL,
    "xtick.labelsize": SMALL,
    "ytick.labelsize": SMALL,
    "path.simplify": True,
}
_METADATA = {
    "svg": {"Date": None, "Creator": None},
    "png": {"Software": None},
}


def picture(render: Render, params: Params, fmt: str) -> bytes:
    """Draw `params` with `render` on a rounded light card and return the file's bytes."""
    with matplotlib.rc_context():
        matplotlib.rcdefaults()  # ignore any matplotlibrc on this machine
        matplotlib.rcParams.update(STYLE)
        fig = Figure(figsize=(WIDTH, HEIGHT), layout=ConstrainedLayoutEngine(w_pad=0.12, h_pad=0.1))
        FigureCanvasAgg(fig)
        fig.patches.append(
            FancyBboxPatch(
                (0.004, 0.006),
                0.992,
                0.988,
                boxstyle="round,pad=0,rounding_size=0.04",
                mutation_aspect=WIDTH / HEIGHT,
                transform=fig.transFigure,
                figure=fig,
                facecolor=PAPER,
                edgecolor=EDGE,
                linewidth=0.8,
                zorder=-10,
            )
        )
        render(params, fig)
        out = io.BytesIO()
        fig.savefig(
            out,
            format=fmt,
            dpi=PNG_DPI,
            facecolor="none",
            edgecolor="none",
            metadata=_METADATA[fmt],
        )
    return out.getvalue()
