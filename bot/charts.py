"""Chart images for /character and /story stats: matplotlib (Agg, no display) in a worker thread,
PNG bytes out, kept in a bounded in-memory cache per story version.

Pure: series in, bytes out; no discord, no database. The figure is an opaque slate card with light
text, so it reads the same in Discord's dark and light themes; the palette's colours each keep a
contrast of at least 3:1 against the card (tests/charts/test_charts.py checks it).
"""
from __future__ import annotations

import asyncio
import io
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot; the bot never opens a window

from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

log = logging.getLogger(__name__)

BACKGROUND = "#313338"  # Discord's dark chat colour; on the light theme it reads as a card
TEXT = "#f2f3f5"
GRID = "#4e5058"
OTHERS = "#a5abb3"  # "others" and unknown speakers: a neutral grey
PALETTE = ("#5ea8ff", "#ffb454", "#6fdc8c", "#ff7eb6", "#c9a0ff", "#4fd6e0")
TOP_SPEAKERS = len(PALETTE)
WIDTH, HEIGHT, DPI = 8.0, 3.6, 100  # 800 x 360 pixels: sharp in an embed, about 20-40 KB
BARS_UP_TO = 80  # units drawn as bars; more become filled steps (thousands of bars are slow)
CACHE_BYTES = 16 * 1024 * 1024  # PNGs kept in memory (about 500 charts)

_draw_lock = threading.Lock()  # matplotlib's font and text caches are shared between threads


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    values: tuple[int, ...]
    colour: str


@dataclass(frozen=True, slots=True)
class Chart:
    """A stacked chart: one value per unit (chapter or scene) per series."""

    title: str
    unit: str  # "Chapter" or "Scene"
    series: tuple[Series, ...]
    ylabel: str = "Lines"


def _style(fig: Figure, chart: Chart, units: int):
    ax = fig.add_subplot()
    fig.patch.set_facecolor(BACKGROUND)
    ax.set_facecolor(BACKGROUND)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    for spine in ("left", "bottom"):
        ax.spines[spine].set_color(GRID)
    ax.tick_params(colors=TEXT, labelsize=9)
    ax.yaxis.grid(True, color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_title(chart.title, color=TEXT, fontsize=11, loc="left")
    ax.set_xlabel(chart.unit, color=TEXT, fontsize=9)
    ax.set_ylabel(chart.ylabel, color=TEXT, fontsize=9)
    ax.set_xlim(0.4, units + 0.6)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.yaxis.get_major_locator().set_params(integer=True)
    return ax


def _bars(ax, bottom: Sequence[int], top: Sequence[int], series: Series) -> None:
    """One series' bars as a single collection: a Rectangle per bar (ax.bar) costs about three
    times as much to draw at fifty chapters and six speakers."""
    half = 0.4
    boxes = [
        ((x - half, b), (x - half, t), (x + half, t), (x + half, b))
        for x, (b, t) in enumerate(zip(bottom, top, strict=True), start=1) if t > b
    ]
    ax.add_collection(PolyCollection(boxes, facecolors=series.colour, linewidths=0, label=series.label))


def draw(chart: Chart) -> bytes:
    """The chart as PNG bytes (call in a worker thread: this takes tens of milliseconds)."""
    units = max((len(s.values) for s in chart.series), default=0) or 1
    positions = range(1, units + 1)
    with _draw_lock:
        fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
        ax = _style(fig, chart, units)
        bottom = [0] * units
        for series in chart.series:
            values = list(series.values) + [0] * (units - len(series.values))
            top = [b + v for b, v in zip(bottom, values, strict=True)]
            if units <= BARS_UP_TO:
                _bars(ax, bottom, top, series)
            else:
                ax.fill_between(positions, bottom, top, step="mid", color=series.colour,
                                label=series.label, linewidth=0)
            bottom = top
        ax.set_ylim(0, max(max(bottom, default=0), 1) * 1.08)  # bars stand on the axis
        if len(chart.series) > 1 or (chart.series and chart.series[0].label):
            legend = ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8,
                               labelcolor=TEXT, reverse=True)
            legend.set_in_layout(True)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", facecolor=BACKGROUND)
    return out.getvalue()


def stacked(counts: Sequence[tuple[str, Sequence[int]]], others: Sequence[int] | None) -> tuple[Series, ...]:
    """The top speakers in palette colours (most lines at the bottom), then "others" in grey."""
    series = [Series(label, tuple(values), PALETTE[i % len(PALETTE)]) for i, (label, values) in enumerate(counts)]
    if others is not None and any(others):
        series.append(Series("others", tuple(others), OTHERS))
    return tuple(series)


def legend_label(name: str, limit: int = 24) -> str:
    """A name as a legend shows it: one line, short, and free of matplotlib's mathtext ($...$)."""
    text = " ".join(name.split()).replace("$", "＄")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ChartCache:
    """PNG bytes by key (a story version and what is drawn), least recently used dropped past
    `limit` bytes. Charts are drawn in a worker thread; concurrent asks for one key draw once."""

    def __init__(self, limit: int = CACHE_BYTES) -> None:
        self.limit = limit
        self.size = 0
        self._kept: OrderedDict[Hashable, bytes] = OrderedDict()
        self._drawing: dict[Hashable, asyncio.Future[bytes]] = {}

    def get(self, key: Hashable) -> bytes | None:
        png = self._kept.get(key)
        if png is not None:
            self._kept.move_to_end(key)
        return png

    async def png(self, key: Hashable, make: Callable[[], Chart]) -> bytes:
        if (png := self.get(key)) is not None:
            return png
        if (pending := self._drawing.get(key)) is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._drawing[key] = future
        try:
            png = await asyncio.to_thread(lambda: draw(make()))
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            self._drawing.pop(key, None)
        future.set_result(png)
        self._keep(key, png)
        return png

    def _keep(self, key: Hashable, png: bytes) -> None:
        self._kept[key] = png
        self.size += len(png)
        while self.size > self.limit and len(self._kept) > 1:
            _, dropped = self._kept.popitem(last=False)
            self.size -= len(dropped)
