"""Verbs that introduce speech in a tag ("said", "asked", "whispered"), in past and present tense."""
from __future__ import annotations

from bot.lazylog import Logger

log = Logger(__name__)

_IRREGULAR = {
    "say": ("said", "says"), "tell": ("told", "tells"), "begin": ("began", "begins"),
    "think": ("thought", "thinks"), "spit": ("spat", "spits"), "cry": ("cried", "cries"),
    "reply": ("replied", "replies"), "query": ("queried", "queries"), "snap": ("snapped", "snaps"),
    "beg": ("begged", "begs"), "sob": ("sobbed", "sobs"), "admit": ("admitted", "admits"),
    "sing": ("sang", "sings"), "hum": ("hummed", "hums"), "plead": ("pleaded", "pleads"),
    "chat": ("chatted", "chats"), "stammer": ("stammered", "stammers"),
    "speak": ("spoke", "speaks"),
}
_REGULAR = """
ask answer shout yell scream exclaim whisper mutter mumble murmur growl hiss sigh laugh chuckle
giggle snort scoff sneer call announce declare state add continue start finish conclude explain
remark comment observe note respond retort counter interrupt agree argue insist suggest offer
order command demand request confess warn repeat muse wonder question inquire enquire grunt groan
moan whine whimper breathe gasp stutter roar bellow bark drawl purr tease joke mock taunt
chirp squeak squeal shriek howl grumble complain protest object promise remind assure correct
interject chime pipe quip blurt inform greet huff pant croak intone instruct mention prompt press
persist urge chide scold cheer coo sniff sniffle rumble lecture reason recall reassure sputter
splutter wail rasp murmur sneer reply return rejoin echo interpose assent resume falter pursue
ejaculate implore mourn assert quaver entreat concede supply explode hazard proceed simper
admonish confide acknowledge vow opine pronounce interpolate volunteer venture whisper exclaim
cry sob pray sneer babble stammer reiterate acquiesce boom thunder lisp coax cajole soothe jeer
speculate proclaim rebuke expostulate remonstrate reproach accost apologise apologize intervene
demur
"""
# "went on", "broke in": a verb that only introduces speech with its particle.
PHRASAL = {"went": "on", "goes": "on", "broke": "in", "breaks": "in", "put": "in", "puts": "in",
           "burst": "out", "bursts": "out", "spoke": "up", "speaks": "up", "chimed": "in",
           "cut": "in", "called": "out", "cried": "out"}


def _forms(stem: str) -> tuple[str, str]:
    if stem in _IRREGULAR:
        return _IRREGULAR[stem]
    past = stem + "d" if stem.endswith("e") else stem + "ed"
    present = stem + "es" if stem.endswith(("sh", "ch", "ss", "x")) else stem + "s"
    return past, present


SPEECH_VERBS = frozenset(
    form for stem in [*_IRREGULAR, *_REGULAR.split()] for form in _forms(stem)
)



# "and saying to Captain Wentworth--", "interrupted her by exclaiming:": a speech verb as a gerund.
# Only verbs that mean speaking whatever follows them ("crying" or "calling" often do not).
SPEECH_GERUNDS = frozenset(
    """saying adding asking answering replying exclaiming whispering muttering murmuring observing
    remarking repeating interrupting rejoining retorting declaring enquiring inquiring announcing continuing
    concluding""".split()
)


# The plain form, for "to say", "would say", "could only reply".
SPEECH_STEMS = frozenset([*_IRREGULAR, *_REGULAR.split()])
