"""Who says each quotation, in named stages: the rule readers of tags, beats, pronouns and turns
(rules and the modules it gathers), who could have said it (candidates), general evidence about each
(evidence), the learned scorer (scorer), and the decision over the scene's exchanges (exchange)."""
from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from bot.parsing.attribution.candidates import SceneView
from bot.parsing.attribution.exchange import decide
from bot.parsing.attribution.result import UNNAMED_NARRATOR, Attribution
from bot.parsing.attribution.rules import ChapterAttributor
from bot.parsing.attribution.scorer import Scorer, committed
from bot.parsing.quotations import RawQuote

__all__ = ["Attribution", "ChapterAttributor", "Scorer", "attribute_scene", "committed"]


def attribute_scene(
    attributor: ChapterAttributor, paragraphs: Sequence[str], quotes: Sequence[RawQuote], scorer: Scorer
) -> list[Attribution]:
    """The speakers of one scene's quotations, in order (the attributor carries the chapter)."""
    results = attributor.scene(paragraphs, quotes)
    if not quotes:
        return results
    lexicon = attributor.lexicon
    narrator = lexicon.narrator or (UNNAMED_NARRATOR if UNNAMED_NARRATOR in lexicon.described else None)
    view = SceneView(
        paragraphs, quotes, results, lexicon,
        partial(attributor.narration_names, paragraphs), attributor.speech_names, narrator,
        attributor.lead,
    )
    decided = decide(view, scorer)
    attributor.note_calls(paragraphs, quotes, decided)
    return decided
