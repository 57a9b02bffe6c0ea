"""Fixtures of the /quote tests: `quote_calls` records the calls of functions of bot/store/quotes.py.

The /quote tests that guard how much a pick reads count the calls of the module's own functions (a
walk's block statements, the plans, the slices read ahead) rather than time them. Each wraps the
function in the module (pytest's monkeypatch: undone after the test), so every call the module makes
through its global name is recorded with its arguments (bound to the function's parameters,
defaults included), what `note` read of them as the call began, and what it returned:

    blocks = quote_calls.watch("_block_rows", note=lambda args: args["cycle"].cursor)
    ...
    assert len(blocks) <= 2
    spans = [(call.noted, call.result[1]) for call in blocks.calls]
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot.store import quotes


@dataclass(slots=True)
class Call:
    """One call of a watched function."""

    arguments: dict[str, Any]  # by parameter name, defaults included
    noted: Any = None  # what `note` read of the arguments when the call began
    result: Any = None  # what it returned (None until it has)


class Watched:
    """The calls of one function of bot.store.quotes, in the order they began."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[Call] = []

    def __len__(self) -> int:
        return len(self.calls)

    def count(self, where: Callable[[Call], bool]) -> int:
        """The calls `where` holds for."""
        return sum(1 for call in self.calls if where(call))

    @property
    def results(self) -> list[Any]:
        return [call.result for call in self.calls]

    def reset(self) -> None:
        self.calls = []


class QuoteCalls:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch

    def watch(self, name: str, *, note: Callable[[dict[str, Any]], Any] | None = None,
              missing_ok: bool = False) -> Watched:
        """Record each call of `quotes.<name>` from now on (`missing_ok`: a function the module lacks,
        as an older revision may, is watched as one never called, so the test fails on its counts).
        `note` may return an awaitable when the function is a coroutine function: it is awaited before
        the call (a query on the store, say, made where the function would make its own)."""
        watched = Watched(name)
        real = getattr(quotes, name, None)
        if real is None:
            if not missing_ok:
                raise AttributeError(f"bot.store.quotes has no {name}")
            return watched
        signature = inspect.signature(real)

        def begin(args: tuple, kwargs: dict) -> Call:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            call = Call(dict(bound.arguments))
            if note is not None:
                call.noted = note(call.arguments)
            watched.calls.append(call)
            return call

        if inspect.iscoroutinefunction(real):
            @functools.wraps(real)
            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                call = begin(args, kwargs)
                if inspect.isawaitable(call.noted):
                    call.noted = await call.noted
                call.result = await real(*args, **kwargs)
                return call.result
        else:
            @functools.wraps(real)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                call = begin(args, kwargs)
                call.result = real(*args, **kwargs)
                return call.result

        self._monkeypatch.setattr(quotes, name, wrapper)
        return watched


@pytest.fixture
def quote_calls(monkeypatch: pytest.MonkeyPatch) -> QuoteCalls:
    """Watch functions of bot/store/quotes.py for one test (see QuoteCalls.watch)."""
    return QuoteCalls(monkeypatch)
