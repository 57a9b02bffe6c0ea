"""Upload handling cost: conversion alone and conversion + parse for large HTML/EPUB/text uploads, and
how fast a zip bomb is refused.

    python bench/uploads.py              # ~5 MB of story in each format
    python bench/uploads.py --mb 9.5
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.formats import UploadRejected, convert_upload, read_upload  # noqa: E402
from tests.library.builders import ao3_html, epub_bytes, zip_bomb_epub  # noqa: E402

SEED = ROOT / "seeds" / "001_c873871c6bd971e6.txt"


def chapters_of(target_bytes: int) -> list[tuple[str, list[str]]]:
    """Seed paragraphs repeated into chapters of ~200 paragraphs until about `target_bytes`."""
    paragraphs = [p.strip() for p in SEED.read_text("utf-8").split("\n\n") if p.strip()]
    chapters, size, i = [], 0, 0
    while size < target_bytes:
        body = [paragraphs[(i + k) % len(paragraphs)] for k in range(200)]
        i += 200
        size += sum(len(p) + 9 for p in body)
        chapters.append((f"Chapter {len(chapters) + 1}: Part {len(chapters) + 1}", body))
    return chapters


def timed(label: str, fn, size: int) -> None:
    """Best of three; the rate is the story's size (MB of converted text) per second. CPU time is
    printed too: on a shared machine it is the steadier figure."""
    runs = []
    for _ in range(3):
        started, cpu = time.perf_counter(), time.process_time()
        result = fn()
        runs.append((time.perf_counter() - started, time.process_time() - cpu))
    elapsed, cpu = min(runs)
    print(f"  {label:<18} {elapsed:6.2f} s ({size / 1e6 / elapsed:5.1f} MB/s), CPU {cpu:6.2f} s"
          f" ({size / 1e6 / max(cpu, 1e-9):5.1f} MB/s) {result}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=5.0, help="story size per format in MB")
    args = parser.parse_args()
    chapters = chapters_of(int(args.mb * 1024 * 1024))
    html = ao3_html().replace(b"</body>", b"".join(
        f'<div class="meta group"><h2 class="heading">{h}</h2></div><div class="userstuff">'.encode()
        + b"".join(f"<p>{p}</p>".encode() for p in body) + b"</div>" for h, body in chapters
    ) + b"</body>")
    epub = epub_bytes(chapters=chapters)
    text = "\n\n".join(h + "\n\n" + "\n\n".join(body) for h, body in chapters).encode()
    limit = 64 * 1024 * 1024
    for name, data in (("story.html", html), ("story.epub", epub), ("story.txt", text)):
        size = len(convert_upload(name, data, max_bytes=limit).text)
        print(f"{name}: {len(data) / 1e6:.1f} MB on disk, {size / 1e6:.1f} MB of text, {len(chapters)} chapters")
        timed("convert", lambda n=name, d=data: convert_upload(n, d, max_bytes=limit) and "", size)
        timed("convert + parse", lambda n=name, d=data: f"-> {len(read_upload(n, d, max_bytes=limit).story.quotes)} quotes", size)
    bomb = zip_bomb_epub()

    def refuse() -> str:
        try:
            convert_upload("bomb.epub", bomb)
        except UploadRejected as error:
            return f"refused: {error}"
        return "NOT refused"

    print(f"zip bomb: {len(bomb) / 1e6:.2f} MB inflating to 200 MB")
    started = time.perf_counter()
    outcome = refuse()
    print(f"  refuse             {time.perf_counter() - started:6.2f} s {outcome}")


if __name__ == "__main__":
    main()
