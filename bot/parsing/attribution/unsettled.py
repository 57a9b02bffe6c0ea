"""Speeches the scorer gives nobody (it had no candidate: the exchange broke, and the narration
around names no one who speaks), read across the narration that breaks the exchange, as fan
fiction's scenes told from one head have it: a call answered by the one it called, and a scene
opening on its dialogue read back from the exchange that follows. Nothing here is learned, and
nothing here touches a speech the scorer gave anyone, whatever its confidence: each answer is a
low-confidence guess where there was none (docs/attribution.md, "Ninth round").

What each reading refuses (the review of the eighth round, tests/parsing/
test_attribution_fanfic_unsettled.py): a first-person narrator's story (the narrator may answer
anything), a thought in the way (thoughts are not turns of an exchange), the one a speech calls on
or is said to, someone the narration between names who was not in the exchange (a newcomer), and
an exchange further than a few paragraphs away."""
from __future__ import annotations

from bot.parsing.attribution.candidates import NAMED_BY_TAG, SceneView, untagged

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Final

# Paragraphs from the end of one speech to the next that these readings bridge.
FAR: Final = 4
# How many speeches in a row nobody speaks the reading of the exchange ahead fills.
RUN: Final = 2
# Well under what trivia uses (0.87) and under the rules' own answers (0.6): guesses where the
# scorer had none. Neither reading fires on the annotated corpora (their speeches the scorer gives
# nobody are 9 of PDNC's and 6 of LitBank's, none of these shapes), so neither is measured: the
# exchange ahead keeps the share the eighth round's looser reading had right there (1 of 4), a
# call answered sits under the rules' own answers to a call (vocative, 0.5).
CALLED_BACK: Final = 0.45
AHEAD: Final = 0.25

Found = dict[int, tuple[str, float, str]]


def _open(view: SceneView, number: int, scored: list[tuple[str | None, float]], settled: Found) -> bool:
    """Whether speech `number` is one the scorer gave nobody, that no tag, thought or inner
    voice settles."""
    return (
        scored[number][0] is None and number not in settled and view.quotes[number].kind != "thought"
        and untagged(view.results[number])
    )


def _named_between(view: SceneView, first: int, last: int) -> set[str]:
    """Who the narration of paragraphs `first`..`last` names."""
    found: set[str] = set()
    for paragraph in range(first, last + 1):
        found.update(view.names(paragraph)[0])
    return found


def _called_back(
    view: SceneView, number: int, scored: list[tuple[str | None, float]], settled: Found, spoke: set[str | None]
) -> str | None:
    """'"No.." Kakashi dashed forward. / ... / "Naruto..Naruto, wake up!" / his mouth began to
    move ... / "Go..Kakashi.."': a speech calling on someone who spoke before in the scene, right
    after a speech that called on one other person only, is that person's answer, when nothing
    else comes between: no quotation (a thought is no turn of the exchange), no more than FAR
    paragraphs, and no one the narration names but the two."""
    if number == 0 or number - 1 in settled:
        return None
    quote, before = view.quotes[number], view.quotes[number - 1]
    if before.kind == "thought" or quote.paragraph - before.last_paragraph > FAR:
        return None
    called = view.speech_names(quote.text)[1]
    calls = view.speech_names(before.text)[1]
    if len(calls) != 1 or not called:
        return None
    who = next(iter(calls))
    lexicon = view.lexicon
    asker = scored[number - 1][0]
    if who in called or who == asker or who == view.results[number].addressee:
        return None
    if view.results[number - 1].addressee not in (None, who):
        return None  # said to someone else than the one it calls on
    if not (lexicon.can_speak(who) or lexicon.evidence[who]):
        return None
    # Whom this speech calls back on spoke before it in the scene (`spoke`): the one who called.
    back = {caller for caller in called if caller in spoke and caller != who}
    if not back:
        return None
    # A newcomer: someone else the narration between (or around this speech) names.
    if _named_between(view, before.paragraph, quote.last_paragraph) - {who, *back}:
        return None
    return who


def _asker(view: SceneView, number: int, scored: list[tuple[str | None, float]], settled: Found) -> str | None:
    """Who asked the question just before speech `number` (a speech within FAR paragraphs ending
    in a question mark), whom its answer is never given to; None if there is no such question."""
    if number == 0:
        return None
    before = view.quotes[number - 1]
    if (
        before.kind == "thought" or view.quotes[number].paragraph - before.last_paragraph > FAR
        or not before.text.rstrip(" .\"'").endswith("?")
    ):
        return None
    return settled[number - 1][0] if number - 1 in settled else scored[number - 1][0]


def _ahead(view: SceneView, scored: list[tuple[str | None, float]], settled: Found, found: Found) -> None:
    """'"..And so that is the situation." / Naruto and Shizune stood before Tsunade... / "How
    did we receive this?" Shizune asked. / "Sakura saw it." Tsunade said.': up to RUN speeches in
    a row that nobody is found for, opening a scene or after a speech the rules read, are the next
    exchange's by strict alternation counted back from its first two turns, when its first turn,
    whose speaker a tag names, begins within FAR paragraphs and the second follows it at once;
    each only if the narration from the speech to that exchange names them, and never one the
    speech calls on or is said to."""
    size = len(view.quotes)
    number = 0
    while number < size:
        if number in found or not _open(view, number, scored, settled):
            number += 1
            continue
        end = number  # the run of such speeches, one after another
        while end + 1 < size and end + 1 not in found and _open(view, end + 1, scored, settled):
            end += 1
        start, number = number, end + 1
        if end - start + 1 > RUN or end + 1 >= size:
            continue
        first_turn = view.turn_of[end + 1]
        if first_turn + 1 >= len(view.turn_paragraph) or view.gap_before[first_turn + 1] is None:
            continue  # the exchange ahead has no second turn right after its first
        opener = view.quotes[end + 1]
        if opener.kind == "thought" or opener.paragraph - view.quotes[end].last_paragraph > FAR:
            continue
        second = view.turn_quotes[first_turn + 1][0]
        if view.quotes[second].kind == "thought" or view.results[end + 1].rule not in NAMED_BY_TAG:
            continue
        pair = [scored[end + 1][0], scored[second][0]]
        if pair[0] is None or pair[1] is None or pair[0] == pair[1]:
            continue
        named = _named_between(view, view.quotes[start].paragraph, opener.paragraph)
        asker = _asker(view, start, scored, settled)
        side = 1  # the last of the run answers the next exchange's first speaker
        for earlier in range(end, start - 1, -1):
            who = pair[side]
            if (
                who not in named or who in view.speech_names(view.quotes[earlier].text)[1]
                or who == view.results[earlier].addressee or (earlier == start and who == asker)
            ):
                break
            found[earlier] = (who, AHEAD, "exchange-ahead")  # type: ignore[assignment]  # never None
            side = 1 - side


def unsettled(view: SceneView, scored: list[tuple[str | None, float]], settled: Found) -> Found:
    """The speeches of the scene the scorer gave nobody that the speeches around them settle, by
    number: (speaker, confidence, rule). `scored` is the scorer's pick for each quotation, and
    `settled` the thoughts and inner voices (voices.py), left as they are."""
    if view.narrator is not None or all(who is not None for who, _ in scored):
        return {}
    found: Found = {}
    spoke: set[str | None] = set()  # who spoke before each speech, as the loop goes
    for number in range(len(view.quotes)):
        if _open(view, number, scored, settled) and (who := _called_back(view, number, scored, settled, spoke)):
            found[number] = (who, CALLED_BACK, "called-back")
        spoke.add(found[number][0] if number in found else settled[number][0] if number in settled else scored[number][0])
    _ahead(view, scored, settled, found)
    return found
