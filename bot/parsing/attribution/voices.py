"""Thoughts and inner voices, which no annotated corpus holds, so nothing here is learned: an
untagged thought is the point-of-view character's, and untagged speech that answers a thought
calling someone by name ('Kyuubi, what is it you want?') is that one's, until a tag names another
speaker or the scene ends (a host and the voice inside them, a telepathic partner)."""
from __future__ import annotations

from bot.parsing.attribution.beats import narrated_sex
from bot.parsing.attribution.candidates import SceneView, untagged
from bot.parsing.attribution.words import _read_name

# Not measured, for want of annotated thoughts: kept below what trivia uses, so a game never asks
# who thought a line or who the inner voice was.
THOUGHT = 0.6
INNER_VOICE = 0.6
# Rules that read who acts or is spoken of around the quotation ("Naruto sat back. 'Maybe...'"):
# for a thought, that one is thinking.
_NEAR = frozenset(("beat", "beat-after", "beat-paragraph", "pronoun", "pronoun-beat"))


def points_of_view(view: SceneView) -> list[str]:
    """Whom the scene's narration names, most named first: the thoughts are in one of their heads."""
    named: dict[str, int] = {}  # not a Counter: its update() is Python, and runs for every paragraph
    for paragraph in range(len(view.paragraphs)):
        for who in view.names(paragraph)[0]:
            named[who] = named.get(who, 0) + 1
    return sorted(named, key=lambda who: (-named[who], who))


def _opening_actor(view: SceneView, paragraph: int) -> str | None:
    """The character a narration paragraph opens on acting ("Arata back flipped away..."), if
    any: after a thought alone in its paragraph, the one thinking it."""
    if paragraph >= len(view.paragraphs) or any(q.paragraph == paragraph for q in view.quotes):
        return None
    words = view.paragraphs[paragraph].split(None, 4)
    name, end = _read_name(words, 0)
    if not name or end >= len(words) or not words[end - 1][-1].isalpha() or not words[end].islower():
        return None
    who = view.lexicon.canonical.get(name)
    # One who only ever speaks as a role ("the genin") may still think: a person will do.
    return who if view.lexicon.can_speak(who) or view.lexicon.evidence[who or ""] else None


def _narrated_sex(view: SceneView, paragraph: int) -> str | None:
    """The sex of the he or she a narration paragraph is about ("Not another friend of hers. She
    would not accept it."), when its subjects are all one: a thought alone right after it is
    theirs, in that head. None when the paragraph holds a quotation, or both or neither."""
    if paragraph < 0 or any(q.paragraph <= paragraph <= q.last_paragraph for q in view.quotes):
        return None
    return narrated_sex(view.paragraphs[paragraph])


def _in_whose_head(view: SceneView, number: int, thinker: str, excluded: set[str | None]) -> str:
    """A thought alone in its paragraph, right after narration about a she (he) that does not fit
    `thinker`, the scene's most named ('...not another friend of hers. She would not accept it. /
    ' him.''): the last one the rules found speaking in the scene whose sex fits (or is unknown),
    else the most named who fits; `thinker` when none does."""
    sex = _narrated_sex(view, view.quotes[number].paragraph - 1)
    gender = view.lexicon.gender
    if sex is None or gender.get(thinker, sex) == sex:
        return thinker
    fits = [
        who for who in points_of_view(view) if who not in excluded and gender.get(who, sex) == sex
    ]
    for earlier in range(number - 1, -1, -1):
        if (who := view.results[earlier].speaker) in fits:
            return who  # type: ignore[return-value]  # in fits: never None
    return fits[0] if fits else thinker


def _answered(view: SceneView, number: int, found: dict[int, tuple[str, float, str]]) -> bool:
    """Whether the quotation before a thought is an untagged speech it may answer: no more than
    one narration paragraph between them, and nothing settled it yet."""
    if number == 0 or number - 1 in found:
        return False
    before, result = view.quotes[number - 1], view.results[number - 1]
    return (
        before.kind != "thought" and before.last_paragraph >= view.quotes[number].paragraph - 2
        and untagged(result)
    )


def voices(view: SceneView, scored: list[tuple[str | None, float]]) -> dict[int, tuple[str, float, str]]:
    """The quotations of the scene that are thoughts or an inner voice's answers, by number:
    (speaker, confidence, rule). `scored` is the scorer's answer for each quotation: a thought
    it is fairly sure of keeps it."""
    if all(quote.kind != "thought" for quote in view.quotes):
        return {}
    heads = points_of_view(view)
    if not heads:
        return {}
    found: dict[int, tuple[str, float, str]] = {}
    partner: str | None = None
    for number, (quote, result) in enumerate(zip(view.quotes, view.results, strict=True)):
        # A tag read by the rules, a name or a he/she ("'...!' she exclaimed"), settles it.
        tagged = result.speaker is not None and not untagged(result)
        if quote.kind == "thought":
            called = view.speech_names(quote.text)[1]
            if tagged:
                thinker = result.speaker
            elif result.rule in _NEAR and result.speaker and result.speaker != partner:
                thinker = result.speaker
            elif scored[number][0] and scored[number][1] >= THOUGHT and scored[number][0] != partner:
                thinker = scored[number][0]
            elif (
                not quote.before.strip() and not quote.after.strip()
                and (actor := _opening_actor(view, quote.last_paragraph + 1)) and actor not in called
            ):
                thinker = actor
            else:
                # The most named in the scene who is neither called on by the thought nor the voice
                # being answered.
                thinker = next((who for who in heads if who not in called and who != partner), heads[0])
                if not quote.before.strip() and not quote.after.strip():
                    excluded: set[str | None] = {partner, *called}
                    thinker = _in_whose_head(view, number, thinker, excluded)
            if not tagged and thinker != scored[number][0]:
                found[number] = (thinker, THOUGHT, "thought")  # type: ignore[assignment]  # never None
            if others := sorted(called - {thinker}):
                partner = others[0]
                if partner != scored[number - 1][0] and _answered(view, number, found):
                    # "Damn brat, you think you're invincible?!" / ... / 'There was no avoiding
                    # it, Kyuubi.': the thought answers the untagged speech before it.
                    found[number - 1] = (partner, INNER_VOICE, "inner-voice")
        elif tagged:
            if result.speaker != partner:
                partner = None  # someone else speaks up: the inner exchange is over
        elif partner is not None and result.addressee:
            # Heard with the ears: "Naruto looked over his shoulder to see a bony arm" (beats.py,
            # _listener). Someone outside speaks, and the inner exchange is over.
            partner = None
        elif partner is not None:
            found[number] = (partner, INNER_VOICE, "inner-voice")
    return found
