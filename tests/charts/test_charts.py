"""bot/charts.py: real PNGs, colours readable on the card, the cache's bound and single drawing."""
from __future__ import annotations

import asyncio
import struct
import threading

import pytest

from bot import charts
from bot.charts import (
    BACKGROUND,
    OTHERS,
    PALETTE,
    TEXT,
    Chart,
    ChartCache,
    Series,
    draw,
    legend_label,
    stacked,
)


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_colours_keep_contrast_on_the_card() -> None:
    # WCAG: 3:1 for graphics, 4.5:1 for text. The card is opaque, so Discord's theme does not matter.
    assert _contrast(TEXT, BACKGROUND) >= 4.5
    for colour in (*PALETTE, OTHERS):
        assert _contrast(colour, BACKGROUND) >= 3.0, colour
    assert len(set(PALETTE)) == len(PALETTE)


@pytest.mark.parametrize("units", [1, 7, 300])
def test_draw_makes_a_png_of_the_set_size(units: int) -> None:
    series = stacked([("A", [i % 5 for i in range(units)]), ("B", [1] * units)], [2] * units)
    png = draw(Chart("Who speaks", "Chapter", series))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", png[16:24]) == (800, 360)


def test_stacked_gives_others_only_when_there_are_some() -> None:
    assert [s.label for s in stacked([("A", [1]), ("B", [2])], [0])] == ["A", "B"]
    series = stacked([("A", [1])], [3])
    assert [(s.label, s.colour) for s in series] == [("A", PALETTE[0]), ("others", OTHERS)]


def test_legend_labels_are_short_and_not_mathtext() -> None:
    assert legend_label("$x^2$ the  great") == "＄x^2＄ the great"
    assert len(legend_label("a" * 100)) == 24


async def test_cache_draws_once_and_stays_within_its_bound(monkeypatch) -> None:
    drawn: list[str] = []
    threads: set[int] = set()

    def fake_draw(chart: Chart) -> bytes:
        drawn.append(chart.title)
        threads.add(threading.get_ident())
        return chart.title.encode() * 100

    monkeypatch.setattr(charts, "draw", fake_draw)
    cache = ChartCache(limit=1000)

    def make(title: str):
        return lambda: Chart(title, "Chapter", (Series("", (1,), PALETTE[0]),))

    first, second = await asyncio.gather(cache.png("k1", make("aaaa")), cache.png("k1", make("aaaa")))
    assert first == second and drawn == ["aaaa"]
    assert threading.get_ident() not in threads  # drawn in a worker thread, never on the event loop
    await cache.png("k2", make("bbbb"))
    await cache.png("k3", make("cccc"))  # 1,200 bytes in all: the oldest goes
    assert cache.get("k1") is None and cache.get("k3") is not None and cache.size <= 1000
