"""What the rule readers say of a quotation (Attribution), how sure each rule is when it answers,
and how often each is right (rule_trust)."""
from __future__ import annotations

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Final

# What a first-person narrator the text never names is called (CONTRACT §5).
UNNAMED_NARRATOR: Final = "Narrator"
# Each rule records its name and a confidence; only explicit name tags reach 0.8 and above, because
# trivia relies on that band being right.
EXPLICIT: Final = 0.9
ROLE: Final = 0.7
EXPLICIT_FAR: Final = 0.75
INHERITED: Final = 0.85
NARRATOR: Final = 0.85
PRONOUN_NEAR: Final = 0.7
PRONOUN_FAR: Final = 0.6
PRONOUN_NAMED: Final = 0.66  # a name in the tag's own paragraph, not its subject
PRONOUN_CALLED: Final = 0.68  # the one the last speech called on
PRONOUN_NARRATED: Final = 0.64  # the subject of recent narration
PRONOUN_MENTIONED: Final = 0.55  # a name in recent narration, or the last of that sex to speak
PRONOUN_UNSURE: Final = 0.5
PRONOUN_BEAT: Final = 0.5
BEAT_BEFORE: Final = 0.65
BEAT_AFTER: Final = 0.5
BEAT_PARAGRAPH: Final = 0.45
VOCATIVE: Final = 0.5
PRONOUN_TURN: Final = 0.6
TURN: Final = 0.45


class Attribution:
    """Who says a quotation, how sure, and by which rule. (A plain class: compiled, it is made
    without calling the Python __init__ a dataclass writes, once for each quotation of a story.)"""

    __slots__ = ("addressee", "confidence", "fallback", "first_person", "gender", "margin", "rule", "speaker", "unseen")

    def __init__(
        self, speaker: str | None = None, confidence: float = 0.0, rule: str | None = None,
        gender: str | None = None, first_person: bool = False, fallback: str | None = None,
        addressee: str | None = None, margin: float | None = None,
    ) -> None:
        self.speaker = speaker
        self.confidence = confidence
        self.rule = rule
        self.gender = gender  # "M"/"F" when a pronoun or description in the tag says so
        self.first_person = first_person  # an "I said" tag whose narrator the text never names
        # A pronoun's guess too far-fetched to stand against turn-taking, kept for a speech that
        # turn-taking leaves without a speaker.
        self.fallback = fallback
        self.addressee = addressee  # "she said to Elizabeth": whom the tag says the speech is to
        # How much likelier (in log-likelihood) the exchange decoder's best reading of the whole
        # exchange is than the best that gives this turn to someone else (None: no decoder read it).
        self.margin = margin
        # A tag gives the speech to a voice nobody is seen with ("cried a voice", "someone called",
        # unseen.py): no beat and no turn of the exchange names its speaker.
        self.unseen = False

    def __repr__(self) -> str:
        return (
            f"Attribution(speaker={self.speaker!r}, confidence={self.confidence!r}, rule={self.rule!r}, "
            f"gender={self.gender!r}, first_person={self.first_person!r}, fallback={self.fallback!r}, "
            f"addressee={self.addressee!r}, margin={self.margin!r})"
        )


# Measured precision of each rule on the annotated corpus: how far the decoder trusts a turn's own
# evidence. Rules at or above _FIXED (turns.py) are never overruled.
_PRECISION: Final = {
    "explicit": 0.976, "narrator": 0.98, "kin": 0.9, "explicit-far": 0.81, "role": 0.8, "unnamed": 0.8,
    "same-paragraph": 0.9, "pronoun": 0.77, "pronoun-beat": 0.72, "beat": 0.7, "beat-paragraph": 0.6,
    "beat-after": 0.41,
}
# The same, per confidence, for rules whose confidence says how the answer was found.
_BY_CONFIDENCE: Final = {
    "pronoun": {0.7: 0.94, 0.68: 0.93, 0.66: 0.82, 0.64: 0.87, 0.6: 0.74, 0.55: 0.67, 0.5: 0.41},
    "same-paragraph": {0.85: 0.95, 0.7: 0.85, 0.68: 0.85, 0.66: 0.78, 0.64: 0.82, 0.6: 0.73, 0.55: 0.65, 0.5: 0.45},
}


def rule_trust(result: Attribution) -> float:
    """How often a result of this rule and confidence is right (measured on the annotated corpus)."""
    if not result.speaker:
        return 0.0
    if result.rule in _BY_CONFIDENCE and (trust := _BY_CONFIDENCE[result.rule].get(result.confidence)):
        return trust
    return _PRECISION.get(result.rule or "", 0.0)
