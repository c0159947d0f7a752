"""Fixed English word lists shared by the summarizer, the entity rules and the tagger."""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    """A frozenset from a whitespace-separated list."""
    return frozenset(text.split())


# Function words: ignored when comparing sentences and when picking tag terms.
STOPWORDS = _words(
    """
    unlike despite amid following including throughout concerning regarding beyond
    a about above across after afterwards again against all almost alone along already also
    although always am among amongst an and another any anyhow anyone anything anyway
    anywhere are around as at back be became because become becomes been before beforehand
    behind being below beside besides between beyond both but by can cannot could did do
    does doing done down during each either else elsewhere enough etc even ever every
    everyone everything everywhere except few for former formerly from further had has have
    having he hence her here hers herself him himself his how however i if in indeed into is
    it its itself just last latter least less made many may me meanwhile might mine more
    moreover most mostly much must my myself namely neither never nevertheless next no
    nobody none nor not nothing now nowhere of off often on once one only onto or other
    others otherwise our ours ourselves out over own per perhaps rather same seem seemed
    seeming seems several she should since so some somehow someone something sometime
    sometimes somewhere still such than that the their theirs them themselves then thence
    there thereafter thereby therefore therein these they this those though through
    throughout thru thus to together too toward towards under until up upon us very via was
    we well were what whatever when whence whenever where whereas whereby wherein whether
    which while who whoever whole whom whose why will with within without would yet you your
    yours yourself yourselves said says say told tell added according mr mrs ms s t don didn
    doesn isn wasn aren won can't
    """
)

# Everyday words too vague to be a topic tag.
GENERIC_WORDS = _words(
    """
    include includes included including face faces facing added adding held hold holds ahead
    members member share shares told saying believed thing kind sort lead leads leading
    week weekend season chance chances deal deals plans claim claims seen make made
    able year years time times day days week weeks month months today yesterday people
    person way ways thing things part parts number numbers lot lots new old first second
    third last good bad big small high low great long little make makes making take takes
    taking go goes going went come comes coming get gets getting give gives given want wants
    use used using set put see seen know known think thought need needs look looks help
    helps work works case cases point points group groups issue issues fact place end start
    move moves plan plans report reports system systems question questions step steps side
    sides world country countries government state states company companies firm firms
    official officials mode possibility decision statement statements term terms level
    levels area areas including likely early late recent recently current currently further
    expected expect expects announced announce believe believes told tell asked ask called
    call calls told show shows shown showed found find told despite scope order full future
    clear open able made across many much major
    """
)

# Sentence openers that point back to earlier text, so the sentence cannot stand alone.
REFERRING_OPENERS = _words(
    """
    he she it they them his her its their this these those that such both neither either
    another other others again later earlier previously afterwards then
    """
)
# Connectives that only link a sentence to the one before; a key point may drop them.
CONNECTIVES = _words(
    """
    but however yet also and or so moreover meanwhile nevertheless nonetheless still instead
    otherwise besides furthermore additionally likewise similarly thus hence therefore
    consequently indeed
    """
)
CONTEXT_OPENERS = REFERRING_OPENERS | CONNECTIVES

# Verbs that attach a quote or a statement to a speaker.
SPEECH_VERBS = _words(
    """
    said says say told tells added adds explained explains noted notes wrote writes argued
    argues stated states insisted insists warned warns claimed claims stressed stresses
    asked asks replied replies commented comments admitted admits announced announces
    suggested suggests believes believed thinks thought continued continues concluded
    concludes declared declares urged urges acknowledged acknowledges emphasised emphasized
    emphasises emphasizes
    """
)

# Words that are topics of nothing in particular: never a tag on their own.
TAG_FILLER = _words(
    """
    best better worse worst game games play plays played playing growth home women woman like
    three four five seven eight nine million billion minutes hours money public role office
    talks video life night words word view views figure figures change changes record records
    news story stories result results top wins lost things something industry list host
    chief survey legal guilty charge charges services media ministers sale attacks
    """
)
