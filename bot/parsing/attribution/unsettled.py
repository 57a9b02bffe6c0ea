"""Speeches the rules give nobody, read against the speeches around them across the narration
that breaks the exchange (fan fiction's habit of a scene told from one head, with long narration
between two lines, or opening on its dialogue): the one a call names answers a call back, a line
right after narration about the last speaker's sex is theirs, and a speech still nobody's is the
next exchange's by alternation counted back. Nothing here is learned: each reads only a quotation
no rule, tag or beat gives anyone (where the scorer's pick is a guess among the names the
narration around it gives, or nobody), and gives it a confidence below what trivia uses, set from
how often it is right on the annotated corpora (docs/attribution.md, "Eighth round")."""
from __future__ import annotations

from bot.parsing.attribution.beats import narrated_sex
from bot.parsing.attribution.candidates import SceneView, untagged

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Final

# Paragraphs back to the speech before that these readings look at.
_BACK: Final = 6
# Paragraphs on to the next speech that the reading of an exchange ahead looks at.
_AHEAD: Final = 4
CALLED_BACK = 0.5  # the one the speech before called on, called back to its speaker
POINT_OF_VIEW = 0.4  # the last speaker, whom the narration since keeps to
AHEAD = 0.25  # alternation counted back from the next exchange's first two speakers (1 of 4 right on the corpora)


def _last_speech(view: SceneView, number: int) -> int:
    """The quotation before `number` in the scene within _BACK paragraphs, -1 if none."""
    if number == 0:
        return -1
    earlier = number - 1
    return earlier if view.quotes[earlier].last_paragraph >= view.quotes[number].paragraph - _BACK else -1


def _called_back(view: SceneView, number: int, earlier: int, before: str, called: set[str]) -> str | None:
    """'"Naruto..Naruto, wake up!" ... / "Go..Kakashi.."': a speech calling on the last speaker
    (`before`), whose own speech called on one person only, is that person's answer."""
    if before not in called:
        return None
    calls = view.speech_names(view.quotes[earlier].text)[1] - {before}
    if len(calls) != 1:
        return None
    who = calls.pop()
    lexicon = view.lexicon
    if who in called or not (lexicon.can_speak(who) or lexicon.evidence[who]):
        return None
    return who


def _point_of_view(view: SceneView, number: int, earlier: int, before: str, called: set[str]) -> str | None:
    """'"No.." Kakashi dashed forward... / Scooping him up into her arms, she realized... /
    "Naruto..Naruto, wake up!"': a speech opening its paragraph after narration paragraphs that
    keep to a she (he) since the speech before, naming nobody else of that sex, is the last
    speaker's, when their sex fits (or is unknown) and the speech does not call on them nor do the
    rules read them as its listener."""
    quote = view.quotes[number]
    if quote.before.strip() or before in called or before == view.results[number].addressee:
        return None
    first = view.quotes[earlier].last_paragraph + 1
    if first >= quote.paragraph:
        return None  # no narration between: the exchange's own turns decide
    sexes = {sex for paragraph in range(first, quote.paragraph) if (sex := narrated_sex(view.paragraphs[paragraph]))}
    if len(sexes) != 1:
        return None
    sex = sexes.pop()
    gender = view.lexicon.gender
    if gender.get(before, sex) != sex or any(
        who != before and gender.get(who) == sex for paragraph in range(first, quote.paragraph)
        for who in view.names(paragraph)[0]
    ):
        return None  # someone else of that sex the narration names may be the he (she)
    return before


def unsettled(
    view: SceneView, speakers: list[str | None], settled: dict[int, tuple[str, float, str]]
) -> dict[int, tuple[str, float, str]]:
    """The speeches of the scene the rules gave nobody that the speech before settles, by number:
    (speaker, confidence, rule). `speakers` is each quotation's speaker as decided so far, and
    `settled` the thoughts and inner voices (voices.py), left as they are; each answer found
    counts as the speaker before the next."""
    found: dict[int, tuple[str, float, str]] = {}
    for number, (quote, result) in enumerate(zip(view.quotes, view.results, strict=True)):
        if number in settled or quote.kind == "thought" or result.speaker is not None or not untagged(result):
            continue
        earlier = _last_speech(view, number)
        if earlier < 0:
            continue
        before = found[earlier][0] if earlier in found else speakers[earlier]
        if before is None:
            continue
        called = view.speech_names(quote.text)[1]
        if who := _called_back(view, number, earlier, before, called):
            found[number] = (who, CALLED_BACK, "called-back")
        elif who := _point_of_view(view, number, earlier, before, called):
            found[number] = (who, POINT_OF_VIEW, "point-of-view")
    _ahead(view, speakers, settled, found)
    return found


def _open(
    view: SceneView, number: int, speakers: list[str | None], settled: dict[int, tuple[str, float, str]],
    found: dict[int, tuple[str, float, str]],
) -> bool:
    """Whether nothing gives speech `number` a speaker: no rule, no candidate, no reading here."""
    quote, result = view.quotes[number], view.results[number]
    return (
        quote.kind != "thought" and number not in settled and number not in found
        and speakers[number] is None and result.speaker is None and untagged(result)
    )


def _ahead(
    view: SceneView, speakers: list[str | None], settled: dict[int, tuple[str, float, str]],
    found: dict[int, tuple[str, float, str]],
) -> None:
    """'"..And so that is the situation." / Naruto and Shizune stood before Tsunade... / "How did
    we receive this?" Shizune asked. / "Sakura saw it." Tsunade said.': speeches nobody is found
    for (a scene opening on its dialogue, a voice heard before its owner is named) are the next
    exchange's, by alternation counted back from its first two speakers, when it begins within
    _AHEAD paragraphs; never a speaker the speech calls on or the rules read as its listener."""
    size = len(view.quotes)
    number = 0
    while number < size:
        if not _open(view, number, speakers, settled, found):
            number += 1
            continue
        end = number  # the run of such speeches, one after another
        while end + 1 < size and _open(view, end + 1, speakers, settled, found):
            end += 1
        pair: list[str] = []
        for later in range(end + 1, size):
            if view.quotes[later].kind == "thought":
                continue
            if not pair and view.quotes[later].paragraph > view.quotes[end].last_paragraph + _AHEAD:
                break
            who = found[later][0] if later in found else speakers[later]
            if who is None:
                break
            if who not in pair:
                pair.append(who)
            if len(pair) == 2:
                break
        if len(pair) == 2:
            side = 1  # the last of the run answers the next exchange's first speaker
            for earlier in range(end, number - 1, -1):
                who = pair[side]
                if who in view.speech_names(view.quotes[earlier].text)[1] or who == view.results[earlier].addressee:
                    break
                found[earlier] = (who, AHEAD, "exchange-ahead")
                side = 1 - side
        number = end + 1
