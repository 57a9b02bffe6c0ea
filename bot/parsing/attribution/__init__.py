"""Who says each quotation: the rule readers (rules), the candidates a quotation could be by
(candidates), general evidence about each (evidence), a learned scorer (scorer) and the exchange
decoder that settles a scene as a whole (exchange)."""
from bot.parsing.attribution.rules import Attribution, ChapterAttributor

__all__ = ["Attribution", "ChapterAttributor"]
