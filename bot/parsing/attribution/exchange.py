"""The last stage: each quotation's speaker chosen among its candidates by the learned scorer, the
exchange read through the turns around it (the rules' decoding of the scene, see decoding.py), and
the scorer's probability kept as the confidence; thoughts and inner voices settled apart (voices.py)."""
from __future__ import annotations

from bot.parsing.attribution.candidates import SceneView, gather, untagged
from bot.parsing.attribution.evidence import describe
from bot.parsing.attribution.result import Attribution
from bot.parsing.attribution.scorer import NO_DECISION, Decision, Scorer
from bot.parsing.attribution.voices import voices

# The rule name a quotation keeps when the scorer overrules the rules.
SCORER_RULE = "scorer"


def _called_in_turn(view: SceneView, number: int, called: set[str], by_turn: dict[int, set[str]]) -> set[str]:
    """Whom an untagged speech calls on, and the other untagged speeches of its paragraph: one
    speaker's ('"..., Kakashi." She waved her hand. "That's all."'), so none of them is that one.
    `by_turn` keeps each turn's calls, read once (a paragraph may hold thousands of speeches)."""
    turn = view.turn_of[number]
    numbers = view.turn_quotes[turn]
    if len(numbers) == 1 or not untagged(view.results[number]):
        return called
    found = by_turn.get(turn)
    if found is None:
        found = by_turn[turn] = set()
        for other in numbers:
            if untagged(view.results[other]):
                found |= view.speech_names(view.quotes[other].text)[1]
    return found


def decision(view: SceneView, number: int, candidates: list[str], tags: int, tagged_sexes: set[str]) -> Decision:
    """What the confidence model reads of the rules' reading of a quotation (scorer.Decision);
    `tags` is how many speech tags name a character in the story, `tagged_sexes` the sexes of
    the characters they name."""
    result = view.results[number]
    who = result.speaker
    pick = candidates.index(who) if who is not None and who in candidates else -1
    margin = result.margin if result.margin is not None else -1.0
    lexicon = view.lexicon
    described = lexicon.described
    unnamed = 0
    if described:
        for row, candidate in enumerate(candidates):
            # A description of unknown sex says nothing of the story's tags: never flagged.
            sex = lexicon.gender.get(candidate)
            if candidate in described and sex is not None and sex not in tagged_sexes:
                unnamed |= 1 << row
    # Alternation from the nearest tagged turn after an untagged one: the candidate it names an odd
    # number of turns ahead is one it gives the turns either side of this one, not this one.
    after = view.tag_after[view.turn_of[number]]
    odd_after = 0
    if after is not None and after[0] % 2 == 1 and after[1] in candidates:
        odd_after = 1 << candidates.index(after[1])
    return pick, margin, (result.rule or "") if who else "", tags, unnamed, odd_after


def tagged_sexes(view: SceneView) -> set[str]:
    """The sexes of the characters the story's speech tags name (a description's own sex aside)."""
    gender = view.lexicon.gender
    return {sex for who, count in view.lexicon.speakers.items() if count > 0 and (sex := gender.get(who))}


def decide(view: SceneView, scorer: Scorer) -> list[Attribution]:
    """Settle every quotation of the scene, in place, and return the results."""
    chosen: list[tuple[str | None, float]] = []
    calls_by_turn: dict[int, set[str]] = {}
    tags = sum(view.lexicon.speakers.values())
    sexes = tagged_sexes(view)
    for number in range(len(view.quotes)):
        if view.results[number].unseen:
            # A tag gives it to a voice nobody is seen with (unseen.py): its speaker is outside
            # the exchange, so no candidate (the scorer always picks one of them).
            chosen.append(scorer.pick([], [], NO_DECISION))
            continue
        speech = view.speech_names(view.quotes[number].text)
        candidates = gather(view, number, _called_in_turn(view, number, speech[1], calls_by_turn))
        rows = describe(view, number, candidates, speech)
        chosen.append(scorer.pick(candidates, rows, decision(view, number, candidates, tags, sexes)))
    # Thoughts and inner voices, read on the rules' results, before the scorer's are written.
    inner = voices(view, chosen)
    for number, (result, (speaker, confidence)) in enumerate(zip(view.results, chosen, strict=True)):
        if number in inner:
            result.speaker, result.confidence, result.rule = inner[number]
            continue
        if speaker != result.speaker:
            result.rule = SCORER_RULE if speaker else None
        result.speaker = speaker
        result.confidence = confidence
    return list(view.results)
