"""General evidence about a candidate speaker of a quotation, as numbered features for the scorer.

Nothing here is a weight: each feature says something true of the text (the rules picked this
candidate and how; they spoke two turns ago; the tag's he/she agrees with their sex; the speech
calls them by name...), and what each is worth is learned (bench/train_attribution.py).
"""
from __future__ import annotations

import math

from bot.parsing.attribution.candidates import SceneView
from bot.parsing.attribution.result import rule_trust

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Any, Final

# The rules whose pick is told apart; others count as "pick_other".
RULES = (
    "explicit", "explicit-far", "narrator", "same-paragraph", "pronoun", "pronoun-turn", "pronoun-beat",
    "turn-taking", "vocative", "beat", "beat-paragraph", "beat-after", "role", "kin", "unnamed",
)
FEATURES: tuple[str, ...] = (
    *(f"pick_{rule}" for rule in RULES),
    "pick_other",
    # The rules' pick, by how it was found and how far the exchange is from a tag naming someone.
    *(f"pick_{group}_gap_{gap}" for group in ("turn", "pronoun", "paragraph") for gap in ("0", "1", "2", "3", "far")),
    "pick_alternates",  # the pick spoke two turns before and not the turn before
    "pick_repeats",  # the pick also spoke the turn before
    "pick_sandwiched",  # the turns either side are one other speaker, and the pick speaks around them
    "pick_next_same",  # the turn after is given to the pick too
    "pick_trust",  # how often the rule is right at that confidence (the rules' own table)
    "in_party",  # a tag names them somewhere in this exchange
    "pick_two_party",  # the exchange's tags name exactly two people, the pick one of them
    "parity_before",  # strict alternation from the last tagged turn gives them this turn
    "parity_after",  # ... counted back from the next tagged turn
    "parity_both",  # both ways agree on them
    "fallback",  # the rules' guess kept aside for a pronoun they could not settle
    "prev_turn",  # spoke the turn just before, in the same exchange
    "two_turns",  # spoke two turns before: the other side of an alternating pair
    "three_turns",
    "next_turn",  # the rules give them the turn just after
    "same_paragraph_other",  # the rules give them another speech of this paragraph
    "gender_match",  # the tag's he/she (or description) agrees with their known sex
    "gender_clash",
    "gender_unknown",
    "named_here",  # the narration of this paragraph names them
    "named_here_last",  # ... last of all before the speech
    "named_prev",  # the paragraph before names them
    "named_prev2",
    "addressed_here",  # the speech itself calls them by name: not its speaker
    "mentioned_here",  # the speech names them otherwise
    "addressed_before",  # the speech just before calls on them: they answer
    "narrator",
    "narrator_tag",  # an "I said" tag and they are the narrator
    "described",  # someone the text only describes ("the girl")
    "lead",  # the character of the tag's sex the story's tags name most
    "speaks",  # how often tags name them in the story, log-scaled
    "lone_two_turns",  # a speech alone in its paragraph, and they spoke two turns before
    "lone_prev_turn",
    "no_pick_two_turns",  # the rules found nobody, and they spoke two turns before
    # How the turn before ended and what the exchange has been, for the two sides of a pair:
    "answer_two_turns",  # the speech before asks a question, and they spoke two turns before
    "answer_prev_turn",  # ... and they asked it
    "cut_two_turns",  # the speech before breaks off (a dash or dots), and they spoke two turns before
    "long_prev_turn",  # the speech before is long (a story, a letter), and they said it
    "short_two_turns",  # this speech is a few words, and they spoke two turns before
    "streak_two_turns",  # the exchange has strictly alternated for three turns or more, ending on them
    "pair_two_turns",  # the exchange so far is theirs and the last speaker's only
    "named_between",  # a short narration paragraph between this turn and the last names them
    "answer_called",  # the speech before asks them a question by name: they answer
    "called_after",  # the next turn of the exchange calls them by name: it answers them
    # The last row of every quotation stands for "none of these is right": its features say how
    # the rules read the quotation, so the scorer learns how often each reading leaves the
    # speaker out of the candidates, and the winner's share is the chance that it is right.
    "none",
    *(f"none_{rule}" for rule in RULES),
    "none_no_pick",
    "none_lone",
    "none_few",  # one or two candidates only
    "none_pick_trust",  # how often the rules' reading is right at its confidence
    *(f"none_anchor_{gap}" for gap in ("0", "1", "2", "3", "far")),  # turns to a tag naming someone
    "none_long_exchange",  # an exchange of more than six turns
    "none_after_gap",  # a short narration paragraph comes between this turn and the one before
    "none_exchange_start",  # the first turn of an exchange
    "none_two_party",  # the exchange's tags name exactly two people
    "none_many_party",  # three or more
    "none_pick_unknown_sex",  # the rules' pick is someone whose sex the text never shows
    "none_pick_described",  # the rules' pick is only described
    "none_called_after_pick",  # the next turn of the exchange calls the rules' pick by name
)
INDEX = {name: number for number, name in enumerate(FEATURES)}
# A present binary feature is the same (index, 1.0) pair every time: made once, appended often.
# Compiled: Final makes each name below a C static, not a look-up in the module's dict at every
# use; and the pairs are typed Any, since a tuple[int, float] value is unboxed and each append
# would box a new tuple (and a new 1.0).
ON: Final[dict[str, Any]] = {name: (number, 1.0) for name, number in INDEX.items()}
_PICK: Final = {rule: ON[f"pick_{rule}"] for rule in RULES}
_NONE: Final = {rule: ON[f"none_{rule}"] for rule in RULES}
_PICK_GAP: Final = {(group, gap): ON[f"pick_{group}_gap_{gap}"]
             for group in ("turn", "pronoun", "paragraph") for gap in ("0", "1", "2", "3", "far")}
_ANCHOR: Final = {0: ON["none_anchor_0"], 1: ON["none_anchor_1"], 2: ON["none_anchor_2"], 3: ON["none_anchor_3"]}
_ANCHOR_FAR: Final = ON["none_anchor_far"]
_GAP_NAME: Final = {0: "0", 1: "1", 2: "2", 3: "3"}
_GROUP: Final = {"turn-taking": "turn", "pronoun-turn": "turn", "vocative": "turn", "pronoun": "pronoun",
          "pronoun-beat": "pronoun", "same-paragraph": "paragraph"}
_PICK_TRUST: Final = INDEX["pick_trust"]
_NONE_PICK_TRUST: Final = INDEX["none_pick_trust"]
_SPEAKS: Final = INDEX["speaks"]
_SPEAKS_ROWS: Final[dict[int, Any]] = {}  # Any: see ON
_IN_PARTY: Final = ON["in_party"]
_LEAD: Final = ON["lead"]
_PARITY_BEFORE: Final = ON["parity_before"]
_PARITY_AFTER: Final = ON["parity_after"]
_PARITY_BOTH: Final = ON["parity_both"]
_PICK_TWO_PARTY: Final = ON["pick_two_party"]
_NONE_TWO_PARTY: Final = ON["none_two_party"]
_NONE_MANY_PARTY: Final = ON["none_many_party"]
_PICK_OTHER: Final = ON["pick_other"]
_PICK_ALTERNATES: Final = ON["pick_alternates"]
_PICK_REPEATS: Final = ON["pick_repeats"]
_PICK_SANDWICHED: Final = ON["pick_sandwiched"]
_PICK_NEXT_SAME: Final = ON["pick_next_same"]
_FALLBACK: Final = ON["fallback"]
_PREV_TURN: Final = ON["prev_turn"]
_LONE_PREV_TURN: Final = ON["lone_prev_turn"]
_TWO_TURNS: Final = ON["two_turns"]
_LONE_TWO_TURNS: Final = ON["lone_two_turns"]
_NO_PICK_TWO_TURNS: Final = ON["no_pick_two_turns"]
_THREE_TURNS: Final = ON["three_turns"]
_NEXT_TURN: Final = ON["next_turn"]
_SAME_PARAGRAPH_OTHER: Final = ON["same_paragraph_other"]
_GENDER_UNKNOWN: Final = ON["gender_unknown"]
_GENDER_MATCH: Final = ON["gender_match"]
_GENDER_CLASH: Final = ON["gender_clash"]
_NAMED_HERE: Final = ON["named_here"]
_NAMED_HERE_LAST: Final = ON["named_here_last"]
_NAMED_PREV: Final = ON["named_prev"]
_NAMED_PREV2: Final = ON["named_prev2"]
_ADDRESSED_HERE: Final = ON["addressed_here"]
_MENTIONED_HERE: Final = ON["mentioned_here"]
_ADDRESSED_BEFORE: Final = ON["addressed_before"]
_NARRATOR: Final = ON["narrator"]
_NARRATOR_TAG: Final = ON["narrator_tag"]
_DESCRIBED: Final = ON["described"]
_ANSWER_TWO_TURNS: Final = ON["answer_two_turns"]
_ANSWER_PREV_TURN: Final = ON["answer_prev_turn"]
_CUT_TWO_TURNS: Final = ON["cut_two_turns"]
_LONG_PREV_TURN: Final = ON["long_prev_turn"]
_SHORT_TWO_TURNS: Final = ON["short_two_turns"]
_STREAK_TWO_TURNS: Final = ON["streak_two_turns"]
_PAIR_TWO_TURNS: Final = ON["pair_two_turns"]
_NAMED_BETWEEN: Final = ON["named_between"]
_ANSWER_CALLED: Final = ON["answer_called"]
_CALLED_AFTER: Final = ON["called_after"]
_NONE_CALLED_AFTER_PICK: Final = ON["none_called_after_pick"]
# A speech before of this many characters or more is long; this speech of this many or fewer, short.
_LONG_SPEECH: Final = 300
_SHORT_SPEECH: Final = 20
# Turns looked back over for the exchange's pair (a longer exchange counts as the last eight turns).
_PAIR_LOOKBACK: Final = 8
_CUT_ENDS: Final = ("-", "\u2014", "\u2013", "...", "\u2026")
_NONE_ROW: Final = ON["none"]
_NONE_NO_PICK: Final = ON["none_no_pick"]
_NONE_LONE: Final = ON["none_lone"]
_NONE_FEW: Final = ON["none_few"]
_NONE_PICK_UNKNOWN_SEX: Final = ON["none_pick_unknown_sex"]
_NONE_PICK_DESCRIBED: Final = ON["none_pick_described"]
_NONE_LONG_EXCHANGE: Final = ON["none_long_exchange"]
_NONE_AFTER_GAP: Final = ON["none_after_gap"]
_NONE_EXCHANGE_START: Final = ON["none_exchange_start"]


def describe(
    view: SceneView, number: int, candidates: list[str], speech: tuple[set[str], set[str]]
) -> list[list[tuple[int, float]]]:
    """One sparse feature row (feature index, value) per candidate of quotation `number`, then
    the row of "none of them". `speech` is whom the speech names, and whom it calls on."""
    result = view.results[number]
    quote = view.quotes[number]
    turn = view.turn_of[number]
    paragraph = quote.paragraph
    lexicon = view.lexicon
    genders = lexicon.gender
    described = lexicon.described
    speakers = lexicon.speakers
    pick = result.speaker
    rule = result.rule or ""
    prev_turn, two_turns, three_turns = view.back[turn]
    next_turn, two_ahead = view.ahead[turn]
    # How many of the paragraph's speeches the rules give each; a turn of one speech gives only
    # the pick its one, which never counts as another speech of the paragraph.
    in_turn = view.turn_speakers(turn) if len(view.turn_quotes[turn]) > 1 else None
    context = view.context(turn)
    here, here_set = context.here, context.here_set
    last_named = here[0] if here else None
    previous = context.previous
    previous2 = context.previous2
    mentioned, addressed = speech
    addressed_before = view.called_before[turn]
    lone = len(view.turn_quotes[turn]) == 1 and len(view.paragraphs[paragraph]) <= len(quote.text) + 4
    sex = result.gender
    gap = view.anchor_gap[turn]
    narrator = view.narrator
    party = view.party[turn]
    lead = view.lead(sex) if sex else None
    by_before = view.parity_before[turn]
    by_after = view.parity_after[turn]
    trust = rule_trust(result)
    fallback = result.fallback
    # The turn before, when the exchange goes on: how it ended, and the pair it leaves.
    answer = cut = long_before = False
    streak = pair = False
    between: frozenset[str] = frozenset()
    if prev_turn is not None and view.gap_before[turn] is not None:
        said = view.quotes[view.turn_quotes[turn - 1][-1]].text.rstrip(" '\"\u201d\u2019")
        answer = said.endswith("?")
        cut = said.endswith(_CUT_ENDS)
        long_before = len(said) >= _LONG_SPEECH
        if two_turns is not None and two_turns != prev_turn:
            # The turns back are the exchange's: three_turns is None past its start.
            streak = three_turns == prev_turn
            pair = pair_so_far(view, turn, (prev_turn, two_turns))
        if view.gap_before[turn] == 1:
            between = view.names(view.turn_paragraph[turn] - 1)[1]
    short = len(quote.text) <= _SHORT_SPEECH
    # Whom the next turn calls on by name, while the exchange goes on: the one it answers, most
    # often this turn's speaker ("Quite so." / "You think so, Tobin?").
    called_after: set[str] = set()
    if turn + 1 < len(view.turn_paragraph) and view.gap_before[turn + 1] is not None:
        for later in view.turn_quotes[turn + 1]:
            called_after |= view.speech_names(view.quotes[later].text)[1]
    # Most candidates are none of these: one look each skips the comparisons below.
    by_parity = {by_before, by_after}
    by_turns = {fallback, prev_turn, two_turns, three_turns, next_turn}
    rows: list[list[Any]] = []  # Any: see ON
    for who in candidates:
        row: list[Any] = []
        if who == pick:
            row.append(_PICK.get(rule, _PICK_OTHER))
            row.append((_PICK_TRUST, trust))
            if group := _GROUP.get(rule):
                row.append(_PICK_GAP[group, _GAP_NAME.get(gap, "far")])
            if who == two_turns and who != prev_turn:
                row.append(_PICK_ALTERNATES)
            elif who == prev_turn:
                row.append(_PICK_REPEATS)
            if prev_turn and prev_turn == next_turn != who and who in (two_turns, two_ahead):
                row.append(_PICK_SANDWICHED)
            if who == next_turn:
                row.append(_PICK_NEXT_SAME)
        if who in by_parity:
            if who == by_before:
                row.append(_PARITY_BEFORE)
                if who == by_after:
                    row.append(_PARITY_BOTH)
            if who == by_after:
                row.append(_PARITY_AFTER)
        if who in party:
            row.append(_IN_PARTY)
            if who == pick and len(party) == 2:
                row.append(_PICK_TWO_PARTY)
        if who in by_turns:
            if who == fallback:
                row.append(_FALLBACK)
            if who == prev_turn:
                row.append(_PREV_TURN)
                if lone:
                    row.append(_LONE_PREV_TURN)
                if answer:
                    row.append(_ANSWER_PREV_TURN)
                if long_before:
                    row.append(_LONG_PREV_TURN)
            if who == two_turns:
                row.append(_TWO_TURNS)
                if lone:
                    row.append(_LONE_TWO_TURNS)
                if pick is None:
                    row.append(_NO_PICK_TWO_TURNS)
                if who != prev_turn:
                    if answer:
                        row.append(_ANSWER_TWO_TURNS)
                    if cut:
                        row.append(_CUT_TWO_TURNS)
                    if short:
                        row.append(_SHORT_TWO_TURNS)
                    if streak:
                        row.append(_STREAK_TWO_TURNS)
                    if pair:
                        row.append(_PAIR_TWO_TURNS)
            if who == three_turns:
                row.append(_THREE_TURNS)
            if who == next_turn:
                row.append(_NEXT_TURN)
        if in_turn is not None and in_turn.get(who, 0) > (who == pick):
            row.append(_SAME_PARAGRAPH_OTHER)
        known = genders.get(who)
        if known is None:
            row.append(_GENDER_UNKNOWN)
        elif sex:
            row.append(_GENDER_MATCH if known == sex else _GENDER_CLASH)
        if who in here_set:
            row.append(_NAMED_HERE)
            if who == last_named:
                row.append(_NAMED_HERE_LAST)
        if who in previous:
            row.append(_NAMED_PREV)
        if who in between:
            row.append(_NAMED_BETWEEN)
        if who in previous2:
            row.append(_NAMED_PREV2)
        if who in addressed:
            row.append(_ADDRESSED_HERE)
        elif who in mentioned:
            row.append(_MENTIONED_HERE)
        if who in addressed_before:
            row.append(_ADDRESSED_BEFORE)
            if answer:
                row.append(_ANSWER_CALLED)
        if who in called_after:
            row.append(_CALLED_AFTER)
        if who == narrator:
            row.append(_NARRATOR)
            if result.first_person or rule == "narrator":
                row.append(_NARRATOR_TAG)
        if who in described:
            row.append(_DESCRIBED)
        if who == lead:
            row.append(_LEAD)
        if speaks := speakers.get(who):
            row.append(_speaks(speaks))
        rows.append(row)
    none: list[Any] = [_NONE_ROW]
    if pick is None:
        none.append(_NONE_NO_PICK)
    else:
        if (reading := _NONE.get(rule)) is not None:
            none.append(reading)
        none.append((_NONE_PICK_TRUST, trust))
        if genders.get(pick) is None:
            none.append(_NONE_PICK_UNKNOWN_SEX)
        if pick in described:
            none.append(_NONE_PICK_DESCRIBED)
        if pick in called_after:
            none.append(_NONE_CALLED_AFTER_PICK)
    if lone:
        none.append(_NONE_LONE)
    if len(candidates) <= 2:
        none.append(_NONE_FEW)
    none.append(_ANCHOR.get(gap, _ANCHOR_FAR))
    if view.run_length[turn] > 6:
        none.append(_NONE_LONG_EXCHANGE)
    if view.gap_before[turn] == 1:
        none.append(_NONE_AFTER_GAP)
    elif view.gap_before[turn] is None:
        none.append(_NONE_EXCHANGE_START)
    if len(party) == 2:
        none.append(_NONE_TWO_PARTY)
    elif len(party) > 2:
        none.append(_NONE_MANY_PARTY)
    rows.append(none)
    return rows


def _speaks(count: int) -> Any:  # the pair itself (see ON)
    """The "speaks" feature of a character the tags name `count` times, made once per count (the
    same few counts come up for every candidate of every quotation)."""
    found = _SPEAKS_ROWS.get(count)
    if found is None:
        found = _SPEAKS_ROWS[count] = (_SPEAKS, math.log1p(count) / 5)
    return found


def pair_so_far(view: SceneView, turn: int, pair: tuple[str, str]) -> bool:
    """Whether every turn of the exchange before `turn` (the last eight at most) is one of the
    `pair`'s."""
    speakers = view.turn_speaker
    gap_before = view.gap_before
    for t in range(turn - 1, max(-1, turn - 1 - _PAIR_LOOKBACK), -1):
        if speakers[t] not in pair:
            return False
        if gap_before[t] is None:
            break
    return True
