"""`ingest` keeps glibc's mmap threshold fixed (memory.fix_mmap_threshold), so big blocks freed by
the parse go back to the system instead of raising the threshold and staying in the heap."""
from __future__ import annotations

import ctypes
import subprocess
import sys
import textwrap

import pytest

from bot import cli, memory
from bot.config import load_settings

# In a fresh interpreter: free a 4 MB mapped block (glibc would raise its threshold to 4 MB), then
# allocate 1 MB: mapped (counted in mallinfo2's hblkhd) only while the threshold stays fixed.
PROBE = textwrap.dedent("""
    import ctypes, sys
    from bot import memory
    if sys.argv[1] == "fixed":
        assert memory.fix_mmap_threshold()
    libc = ctypes.CDLL(None)
    class Info(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
            "keepcost")]
    libc.mallinfo2.restype = Info
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = (ctypes.c_size_t,)
    libc.free.argtypes = (ctypes.c_void_p,)
    libc.free(libc.malloc(4 << 20))
    before = libc.mallinfo2().hblkhd
    block = libc.malloc(1 << 20)
    print(libc.mallinfo2().hblkhd - before >= 1 << 20)
    libc.free(block)
""")


def _glibc_mallinfo2() -> bool:
    try:
        ctypes.CDLL(None).mallinfo2  # noqa: B018
    except (OSError, AttributeError):
        return False
    return True


@pytest.mark.skipif(not _glibc_mallinfo2(), reason="glibc's malloc only")
@pytest.mark.parametrize(("mode", "mapped"), [("fixed", "True"), ("default", "False")])
def test_a_freed_big_block_does_not_raise_the_threshold_once_fixed(mode: str, mapped: str) -> None:
    found = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True,
        cwd=memory.__file__.rsplit("/bot/", 1)[0],
    )
    assert found.stdout.strip() == mapped


async def test_the_ingest_command_fixes_the_threshold(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    called = []
    monkeypatch.setattr(memory, "fix_mmap_threshold", lambda: called.append(True) or True)
    settings = load_settings({"DATABASE_PATH": str(tmp_path / "t.db"), "STORIES_DIR": str(tmp_path)})
    story = tmp_path / "story.txt"
    story.write_text("A Story\n\n" + "\n\n".join(f'"Line {n}," said Anna.' for n in range(20)) + "\n", encoding="utf-8")
    assert await cli.ingest_command(settings, [story]) == cli.EXIT_OK
    assert called == [True]


@pytest.mark.parametrize(("limit", "expected"), [(1, [True]), (1 << 30, [])])
def test_parse_fixes_the_threshold_for_a_big_file_only(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], limit: int, expected: list[bool]
) -> None:
    called: list[bool] = []
    monkeypatch.setattr(memory, "fix_mmap_threshold", lambda: called.append(True) or True)
    monkeypatch.setattr(cli, "FIXED_MMAP_BYTES", limit)
    story = tmp_path / "story.txt"
    story.write_text("A Story\n\n" + "\n\n".join(f'"Line {n}," said Anna.' for n in range(20)) + "\n", encoding="utf-8")
    assert cli.parse_command(story, as_json=True) == cli.EXIT_OK
    assert '"Line 3,"' in capsys.readouterr().out
    assert called == expected
