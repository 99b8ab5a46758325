"""What pages put around an article's prose, recognised so that it can be left out.

An article's text, whichever way it arrives (a Markdown file, text extracted from a
web page, a feed entry), is prose with *matter* around it. Before the prose: bylines,
dates, reading times, captions and photo credits, spoiler warnings. After it: link and
source lines, "via" credits and hat tips, trailer lines and bare URLs, the author's
bio, tags, photo credits, related and read-more links, share and like widgets,
availability and affiliate lines, newsletter footers and sign-offs, comment sections,
and the call to comment ("Let us know in the comments below").

Each recogniser here answers for one block of text (a paragraph, a list item, a
heading) or one sentence, and names the kind of matter it is. They are written as
shapes, not as lists of sites: a label and a colon ("Source: …"), a URL with a few
words around it, a name followed by "is a film critic based in …". What they cannot
tell is left as prose: better a missed footer than a lost paragraph.

Plain Python, no Discord; nothing here knows where the text came from.
"""

from __future__ import annotations

import re

#: Blocks longer than this (in words) are prose whatever they start with, except labelled
#: notes ("Editor's note: …"), which can run long.
SHORT_WORDS = 40
#: A block this short without sentence punctuation, after the prose, is a title or a name.
STUB_WORDS = 12

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)")
_MD_AUTOLINK = re.compile(r"<(?:https?://|mailto:)[^>]+>", re.IGNORECASE)
#: Emphasis, bullets, arrows and brackets around a line: "*[via X]*", "→ Read more".
_WRAPPING = " \t*_#>•·→»«|-–—~"
_END = re.compile(r"[.!?…][\"'”’)\]*_]*$")

#: "Label: …": the lines pages label, before or after the prose. Group 1 is the label.
_LABEL = re.compile(
    r"""^[\[(]?\s*(
        links? | sources? | via | h/?t | hat[ -]?tip | ht | thanks\ to | tip\ via
      | tags? | tagged(\ with)? | topics? | filed\ (under|in) | posted\ (in|under)
      | categor(y|ies) | keywords | related(\ (posts?|articles?|stories|reading|coverage))?
      | read\ (more|next|also|the\ (full\ )?(review|interview|story|article))
      | also\ read | see\ also | further\ reading | more\ (info|information|reading)
      | previously | recommended | listen | watch | video | trailer | official\ trailer
      | teaser | clip | (top\ |header\ |featured\ |lead\ |cover\ |main\ )?(photo(graph)?s?
      | images? | pictures? | stills? | illustrations? | artwork | poster)(\ credit)?s?
      | credits? | courtesy | photography | (editor|editors|author)['’]?s?\ note | note
      | update(d)? | correction | disclosure | disclaimer | content\ (warning|note)
      | trigger\ warning | spoiler(s|\ warning|\ alert)? | director | directed\ by
      | written\ by | screenplay | writers? | cast | starring | runtime
      | running\ time | countr(y|ies) | language | release(d|\ date)? | rating | rated
      | grade | verdict | score | distributor | studio | genre | producers? | music | score
      | cinematography | editing | where\ to\ (watch|stream|see\ it) | available\ (on|at|from)
      | streaming\ (on|now) | now\ streaming | in\ (cinemas|theaters|theatres)
      | now\ playing | opens | out\ now | buy | rent | stream(\ it)? | subscribe | follow
      | (by|words|text|written|reporting|interview|interviewed|review(ed)?)\ by
      | words | by | published | posted | updated | last\ updated | reading\ time
    )(\s*[\]):：|]|\s+[–—-]\s|\s*[–—]\s)""",
    re.IGNORECASE | re.VERBOSE,
)

#: "[via IndieWire]", "(h/t @someone)", "via Letterboxd", "H/T Jane Doe": credits.
_CREDIT_LINE = re.compile(
    r"""^[\[(]?\s*((via|h/t|ht|hat[ -]?tip(\ to)?|thanks\ to|tip\ via)\b\s*:?
      | (source|sources|credit|credits)\s*:)\s*[^.!?]{0,80}[\])]?\.?$""",
    re.IGNORECASE | re.VERBOSE,
)
#: A credit without a label ("via Letterboxd", "Thanks to Camille for the tip") is short.
CREDIT_WORDS = 10

#: Photo and image credits and captions with a credit in them.
_PHOTO_CREDIT = re.compile(
    r"""(\b(photo(graph)?s?|image|picture|still|illustration|artwork)\s*(by|courtesy|credit|:|©)
      | \b(courtesy\ of|getty\ images|shutterstock|alamy|ap\ photo|afp|reuters|everett\ collection
      | rex\ features|press\ image|publicity\ (still|photo)|film\ still|via\ imdb)\b
      | ©\s*\w | \(c\)\s*\d{4} | \.(jpe?g|png|gif|webp|avif)\b)""",
    re.IGNORECASE | re.VERBOSE,
)

#: Share, like and comment widgets; subscription boxes; page furniture.
_WIDGET = re.compile(
    r"""(
        share\ (this|on\ \S+|via\ \S+|the\ (post|article|story|review))
        (\ (post|article|story|page|review))?
      | share | shares | \d+\ shares | tweet | pin(\ it)? | email | e-mail | print | reddit
      | whatsapp | facebook | twitter | x | linkedin | bluesky | threads | mastodon | tumblr
      | pinterest
      | copy\ link | link\ copied | (click|tap)\ to\ (share|email|print|copy)\b.*
      | like\ this | like\ loading\.* | loading\.* | be\ the\ first\ to\ like\ this
      | \d+\ likes? | like | love | clap | \d+\ claps?
      | related | (\d+\ )?comments?(\ \(\d+\))? | no\ comments(\ yet)? | comments\ (are\ )?closed
      | (leave|post|add|write)\ a\ (comment|reply)\b.* | cancel\ reply | reply
      | (\d+\ )?(responses|replies) | join\ the\ (conversation|discussion)
      | advertisement | advert | ad | sponsored | skip\ to\ (main\ )?content | scroll\ to\ top
      | back\ to\ top | read\ more | continue\ reading.*
      | read\ the\ full\ (review|article|story)\b.*
      | listen\ to\ this\ (article|story|review)\b.*
      | (\d+|one|two|three|four|five)\ min(ute)?s?\ read
      | (posted|filed)\ (in|under)\b.* | tags?:\ .* | categories:\ .*
      | sign\ up\ for\ (our|the|my)\ \w*\ ?newsletter\b.* | subscribe(\ now|\ today|\ for\ free)?
      | (previous|next)(\ (post|article|story|review))?\ *[:»«›‹→←]*\ *.{0,80}
      | [«‹←]\ .{1,80} | .{1,80}\ [»›→] | embedded\ content | \[embedded\ content\]
    )\s*[:.!…]*""",
    re.IGNORECASE | re.VERBOSE,
)
_WIDGET_MAX = 90

#: Asking readers to comment, share, subscribe or support, rather than to think.
_CALL_TO_ACTION = re.compile(
    r"""\b(
        let\ (us|me)\ know | tell\ (us|me) | sound\ off | hit\ reply | just\ reply | reply\ to\ this
      | drop\ (us|me)\ a\ (line|note|comment) | write\ (to\ )?(us|me)\b | email\ (us|me)
      | share\ your\ (thoughts|views|take|opinions?|picks|answers|favou?rites)
      | share\ (this|it)\ with | pass\ (this|it)\ on | forward\ (this|it)
      | (leave|drop|post|add|write)\ (us\ |me\ )?a\ (comment|reply|note)
      | (in|to|on|into)\ the\ comments | comments?\ (section|below|box|thread)
      | below\ in\ the\ comments | join\ the\ (conversation|discussion)
      | over\ to\ you | your\ turn
      | subscribe | newsletter | sign\ up | follow\ (us|me|along) | support\ (us|me|the\ site)
      | patreon | ko-fi | donate | become\ a\ (member|patron|subscriber)
      | (like|share)\ (and|&)\ (subscribe|share|follow) | rate\ and\ review
      | thanks\ for\ (reading|watching|listening|being\ here)
      | read\ (more|next|on) | click\ (here|to|the\ link) | continue\ reading
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)

#: Questions about the page itself rather than the film: "Did you enjoy this review?"
_SELF_QUESTION = re.compile(
    r"""\b(this|our|the|my)\s+(article|post|review|piece|essay|newsletter|list|ranking|episode
      | podcast|site|blog|channel|column|issue|email)\b
      | \b(want|looking\ for|craving|need)\s+more\b | \bhave\s+you\s+subscribed\b
      | \b(should|shall|can)\s+(we|i)\s+(review|cover|rank|write\ about|do|tackle|watch)\b
      | \b(what|which)\b.{0,30}\bshould\s+(we|i)\s+(re)?(review|cover|rank|write|watch|do
        | tackle|discuss|pick)\b
      | \b(enjoy(ed)?|like[ds]?|love[ds]?)\s+(this|it)\s*\?""",
    re.IGNORECASE | re.VERBOSE,
)

#: Where to see the film: in cinemas, on a service, on disc; and festival dates.
_AVAILABILITY = re.compile(
    r"""(
        \b(is|are|was|will\ be)\s+(now\s+|currently\s+|also\s+)?(streaming|available|out
          |playing|showing|screening|in|on)\b.{0,40}\b(cinemas|theaters|theatres|netflix|mubi
          |prime\ video|amazon|hulu|max|hbo|disney|apple\ tv|peacock|paramount|criterion|kanopy
          |digital|vod|demand|blu-ray|dvd|4k|uhd|shudder|tubi|curzon|bfi|iplayer|youtube|itunes)\b
      | \b(is|are)\s+(out|available|streaming)\s+now\b
      | \b(opens|open|arrives|arrive|hits|hit|comes|come|lands|land|premieres|premiere|debuts
          |debut|releases|release|is\s+released|returns|return|streams|stream|drops|drop|plays
          |play|screens|screen|bows|expands)\s+(\w+\s+){0,4}(in|on|to|at|via|across)\s+
          (\w+\s+){0,3}(cinemas|theaters|theatres|netflix|mubi|prime|amazon|hulu|max|hbo|disney
          |apple|peacock|paramount|criterion|kanopy|digital|vod|demand|blu-ray|dvd|4k|uhd
          |streaming|shudder|tubi|curzon|bfi|iplayer|select|limited)\b
      | ^(\d+\s*(h|hr|hrs|hours?)\s*)?\d+\s*(m|min|mins|minutes)\.?$
      | ^(now\s+)?(streaming|playing|showing|in\s+(cinemas|theaters|theatres))\b
      | \bin\s+(cinemas|theaters|theatres)\s+(now|nationwide|everywhere|from|on|this|next|across)\b
      | \b(runs|continues|plays|screens)\s+(through|until|till|to)\s+\w+
      | \bavailable\s+to\s+(rent|buy|stream|watch|pre-?order)\b | \bwhere\s+to\s+(watch|stream)\b
      | \b(rated|runtime|running
        \s+time)\b.{0,20}\b(\d+\s*(min|minutes|mins|hr|hours?)|pg|r\b|nc-17|12a|15|18)
      | [★☆]{3,} | \b\d(\.\d)?\s*/\s*(5|10)\b | \b\d\s+(out\s+)?of\s+(5|five|10|ten)\s+stars\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)

#: Affiliate links, buying, and the disclosures that go with them.
_AFFILIATE = re.compile(
    r"""\b(affiliate
      | (we|i)\s+(may\s+)?(earn|receive|get)\s+(a\s+)?(small\s+)?(commission|fee|share)
      | amazon\s+associate | (buy|rent|order|stream)\s+(it|the\s+(film|movie|book|blu-ray|dvd))?
        \s*(now\s+)?(on|at|from)\s+(amazon|itunes|apple|google\ play|vudu|the\ criterion)
      | independently\s+(selected|chosen|reviewed) | commission\s+on\s+(purchases|sales)
      | reader-supported | supported\s+by\s+(our\s+)?readers
      | when\s+you\s+(buy|purchase|shop|subscribe)\s+(something\s+)?(through|via|using)
        \s+(links|our)
      | (this|the)\s+(post|article|page|piece)\s+(contains|may\s+contain|includes)
        \s+(affiliate\s+)?links)""",
    re.IGNORECASE | re.VERBOSE,
)

#: Newsletter furniture and sign-offs.
_NEWSLETTER = re.compile(
    r"""\b(unsubscribe | manage\s+(your\s+)?(preferences|subscription)
      | view\s+(this\s+email\s+)?in\s+(your\s+)?browser
      | (you('re|\s+are)|you\s+were)\s+receiving\s+this
      | (was\s+)?this\s+(email|newsletter)\s+(was\s+)?forwarded
      | forwarded\s+this | you('re|\s+are)\s+reading\s+.{1,60}(newsletter|letter|dispatch)
      | see\s+you\s+(next\s+(week|time|month|friday|sunday|issue)|at\s+the\s+movies|soon|in
        \s+the\s+dark|then)
      | until\s+next\s+(week|time|month|issue) | that['’]?s\s+(it|all)\s+for\s+(this|today|now)
      | stay\s+tuned | happy\s+(watching|viewing|reading|streaming)
      | enjoy\s+the\s+(film|show|movie|movies)
      | take\s+care | (see|catch)\s+you\s+(all\s+)?(soon|later|there) | talk\s+soon)\b""",
    re.IGNORECASE | re.VERBOSE,
)
#: A sign-off: "— Priya", "Cheers, Tom", "xo", "Best,".
_SIGN_OFF = re.compile(
    r"""^([—–-]{1,2}\s*\S.{0,40}
      | (cheers|best|yours|love|thanks|warmly|onward|onwards|until\ next\ time|see\ you\ soon
        | all\ best|best\ wishes|xo+|x+|ciao|enjoy|peace)\b[,!.]?(\s+\S+){0,3}[.!]?)$""",
    re.IGNORECASE | re.VERBOSE,
)
#: "P.S. The podcast is back in September." after the sign-off.
_POSTSCRIPT = re.compile(r"^p\.?\s?(p\.?\s?)?s\.?[\s:,]", re.IGNORECASE)

#: Notes about the text itself: how it was edited, where it first ran, spoilers.
_NOTE = re.compile(
    r"""\b(this\s+(interview|conversation|transcript|q&a)\s+(has\s+been|was)\s+(lightly
      \s+)?(edited|condensed)
      | (has\s+been|was)\s+(lightly\s+)?(edited|condensed)\s+(and\s+condensed\s+)?for
        \s+(length|clarity|brevity)
      | (originally|first)\s+(published|appeared|ran|posted)
      | a\s+version\s+of\s+this\s+(article|review|piece|story|essay)
      | this\s+(article|review|piece|story|post|essay)\s+(was|has\s+been)\s+(originally
        \s+|first\s+)?(published|updated|edited|corrected|adapted)
      | (is|was)\s+part\s+of\s+our\s+(coverage|series|ongoing)
      | part\s+of\s+our\s+.{0,40}\s+coverage
      | (contains|includes|has)\s+(major\s+|minor\s+|mild\s+|heavy\s+|some\s+|full\s+)?spoilers
      | spoilers?\s+(ahead|below|follow|warning|alert) | spoiler[- ]free
      | the\s+post\s+.{1,200}\s+appeared\s+first\s+on\b | all\s+rights\s+reserved
      | the\s+views\s+expressed
      | (this|the)\s+(film|screener)\s+was\s+(provided|screened)\s+(by|for)
      | (screened|reviewed)\s+(on|at|via)\s+(a\s+)?screener)\b""",
    re.IGNORECASE | re.VERBOSE,
)

#: "Watch the trailer below." "Check out the teaser:" "The trailer is below."
_TRAILER = re.compile(
    r"""\b((watch|see|check\s+out|take\s+a\s+look\s+at|here['’]?s|here\s+is|view)\s+(the\s+|a
      \s+|our\s+|its\s+)?
        (new\s+|first\s+|official\s+|final\s+|latest\s+|full
          \s+)*(trailer|teaser|clip|featurette|video|sneak\s+peek|first\s+look)
      | (trailer|teaser|clip|video)\s+(is\s+)?(below|above|here) | (trailer|teaser)\s*:)""",
    re.IGNORECASE | re.VERBOSE,
)

#: A sentence that was a link: "Read yesterday's diary here." "Listen to the episode below."
_HERE_LINK = re.compile(
    r"""^(read|see|watch|listen\s+to|catch\s+up\s+(on|with)|check\s+out|find|browse|download|get)
      \b.{0,60}\b(here|below|above|at\s+the\s+link|via\s+the\s+link)[.!:]?$""",
    re.IGNORECASE | re.VERBOSE,
)

#: An author's bio: "Maya Chen is a film critic based in Toronto."
_WRITER = (r"(critic|writer|journalist|editor|contributor|reporter|columnist|blogger|essayist"
           r"|podcaster|programmer|freelancer|correspondent|author|poet|novelist)")
_BIO = re.compile(
    rf"""^(about\s+the\s+(author|writer|contributor)
      | [A-Z][\w'’.-]+(\s+[A-Z][\w'’.-]+){{0,3}}\s+(is|writes|covers|reviews)\b
        .{{0,160}}\b({_WRITER}|writes\s+about|covers\s+film|based\s+in|lives\s+in)\b)""",
    re.VERBOSE,
)
_BIO_SIGNAL = re.compile(
    r"""\b(based\s+in|lives\s+in|lives\s+with|appeared\s+in|has\s+written\s+for|writes\s+(for|about)
      | contributes\s+to | (her|his|their)\s+(work|writing|criticism|reviews)\s+(has|have)
      | co-?hosts? | (find|follow)\s+(her|him|them|me)\b | newsletter | letterboxd | twitter
      | instagram | bluesky | substack)\b | @\w+""",
    re.IGNORECASE | re.VERBOSE,
)
_FOLLOW = re.compile(
    r"""^(follow|find|read|catch|subscribe\ to)\b.{0,60}\b(on|at|via)\b.{0,40}
      (twitter|instagram|letterboxd|bluesky|mastodon|threads|substack|tiktok|youtube|@\w+)""",
    re.IGNORECASE | re.VERBOSE,
)

#: "By Priya Nair", "Posted on March 4, 2024", "6 min read", "Updated 3 hours ago".
_BYLINE = re.compile(
    r"""^((written\s+|words\s+|reviewed\s+|posted\s+|text\s+)?by\s+(?-i:[A-Z])[\w'’.-]+
        (\s+(?-i:[A-Z])[\w'’.-]+)*\s*([|·,–—-]|$)
      | (posted|published|updated|last\s+updated|filed|written)\s+(on|at|by|in)?\s*\S
      | (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(st|nd|rd|th)?,?\s+\d{4}
      | \d{1,2}(st|nd|rd|th)?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+\d{4}
      | \d{4}-\d{2}-\d{2} | \d+\s+(min(ute)?s?|hours?)\s+(read|ago))""",
    re.IGNORECASE | re.VERBOSE,
)

#: Lines that start the trailing sections of a page: what follows is not the article.
_SECTION = re.compile(
    r"""^(you\s+(may|might|will)\s+(also\s+)?(like|enjoy|be\s+interested\s+in)
      | more\s+(from|on|by|in)\s+\S.{0,40} | more\s+(stories|reviews|news|articles|posts|essays
      | features|interviews|coverage|to\s+(read|watch)|like\s+this)
      | recommended(\s+(for\s+you|reading|articles|posts|stories))?
      | (most\s+)?popular(\s+(posts|articles|stories|now|this\s+week))?
      | trending(\s+(now|stories|articles))? | most\s+(read|viewed|shared|popular)
      | read\s+next | up\s+next | what\s+to\s+read\s+next | keep\s+reading | further\s+reading
      | about\s+the\s+(author|writer|contributors?|authors) | (\d+\s+)?comments?(\s+\(\d+\))?
      | (\d+|one|two|three)\s+(responses|replies|thoughts)(\s+(on|to)\s+.{1,120})?
      | leave\s+a\s+(reply|comment) | post\s+a\s+comment | add\s+a\s+comment
      | comments\s+are\s+closed
      | join\s+the\s+(conversation|discussion) | (from\s+)?around\s+the\s+web | from\s+the\s+web
      | (sponsored|partner|promoted)\s+(content|stories|links|posts)
      | in\s+case\s+you\s+missed\s+it | also\s+on\s+\S.{0,40})[:.]?$""",
    re.IGNORECASE | re.VERBOSE,
)
_SECTION_WORDS = 10
#: A "Related" line: the titles of other articles follow it, perhaps mid-article.
_RELATED = re.compile(
    r"""^((related|similar)(
      \s+(posts?|articles?|stories|reading|coverage|content|reviews|links|reads))?
      | see\s+also | also\s+read | read\s+(more|also) | more\s+reading
      | also\s+(see|worth\s+reading))
      \s*[:.]?$""",
    re.IGNORECASE | re.VERBOSE,
)


def plain(text: str) -> str:
    """``text`` without Markdown links (their words stay), emphasis and the wrapping around it."""
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    text = text.replace("**", "").replace("__", "")
    return text.strip(_WRAPPING)


def words(text: str) -> int:
    return len(plain(text).split())


def ends_sentence(text: str) -> bool:
    """Whether ``text`` ends with sentence punctuation (perhaps inside quotes or emphasis)."""
    return _END.search(text.rstrip()) is not None


def is_widget(text: str) -> bool:
    """Whether a line is a share, like, comment or subscription widget's text, or furniture."""
    line = plain(text)
    return bool(line) and len(line) <= _WIDGET_MAX and _WIDGET.fullmatch(line) is not None


def is_credit_line(text: str) -> bool:
    """Whether a line is a "[via …]", "(h/t …)" or "Source: …" credit."""
    line = plain(text)
    if _CREDIT_LINE.fullmatch(line) is None:
        return False
    return ":" in line.split()[0] or len(line.split()) <= CREDIT_WORDS


def _is_sign_off(text: str) -> bool:
    """ "— Priya", "Cheers, Tom", "See you soon,": a letter's last words."""
    return any(_SIGN_OFF.fullmatch(candidate) for candidate in (text.strip(), plain(text)))


#: A lead-in before a question in the same sentence: "Tell us: …", "Some questions: …".
_LEAD_IN = re.compile(r"^(?P<lead>[^:?]{1,100}?)(?::|\s[—–]|\s-)\s+(?P<rest>\S.*)$")


def split_lead_in(sentence: str) -> tuple[str, str] | None:
    """``(lead, question)`` for "Tell us in the comments: did it work?"; None otherwise."""
    match = _LEAD_IN.match(sentence.strip())
    if match is None or not match["rest"].rstrip("\"'”’)]*_ ").endswith("?"):
        return None
    return match["lead"], match["rest"]


def is_call_to_action(sentence: str) -> bool:
    """Whether a sentence asks readers to comment, share or subscribe, or is a widget's text.

    A question after a call to action ("Tell us: did the ending work?") is judged on
    the question alone.
    """
    parts = split_lead_in(sentence)
    if parts is not None:
        sentence = parts[1]
    if is_widget(sentence) or is_credit_line(sentence):
        return True
    if _CALL_TO_ACTION.search(sentence):
        return True
    return sentence.rstrip("\"'”’)]*_ ").endswith("?") and _SELF_QUESTION.search(sentence) \
        is not None


def is_section_break(text: str) -> bool:
    """Whether a short line starts a page's trailing sections (related links, comments, bio)."""
    line = plain(text)
    return 0 < len(line.split()) <= _SECTION_WORDS and _SECTION.fullmatch(line) is not None


def is_related_line(text: str) -> bool:
    """Whether a line announces links to other articles ("Related", "See also")."""
    return _RELATED.fullmatch(plain(text)) is not None


def _link_line(text: str) -> bool:
    """A URL or a link with a few words around it: "Watch: https://…", "[Title](https://…)"."""
    links = len(_URL.findall(text)) + len(_MD_LINK.findall(text)) + len(_MD_AUTOLINK.findall(text))
    if not links:
        return False
    rest = _MD_AUTOLINK.sub(" ", _MD_LINK.sub(" ", text))
    rest = _URL.sub(" ", rest)
    left = [w for w in rest.split() if any(ch.isalnum() for ch in w)]
    if not left:
        return True
    if _MD_LINK.fullmatch(text.strip(_WRAPPING + ".")):
        return True  # a link and nothing else: a related-article or source link
    return len(left) <= 8 and not ends_sentence(rest.strip())


def block_kind(text: str) -> str | None:
    """The kind of matter a block is ("link", "credit", "bio", …), or None for prose."""
    line = plain(text)
    if not line:
        return "empty"
    count = len(line.split())
    if is_widget(line):
        return "widget"
    if is_credit_line(line):
        return "credit"
    if _link_line(text):
        return "link"
    if _LABEL.match(line) and (count <= SHORT_WORDS * 2 or _NOTE.search(line)):
        return "label"
    if _POSTSCRIPT.match(line) and count <= SHORT_WORDS * 2:
        return "postscript"
    if count > SHORT_WORDS:
        return None
    if _is_sign_off(text) and count <= 8:
        return "sign-off"
    if _BYLINE.match(line) and not (count > 12 and ends_sentence(line)):
        return "byline"
    if _FOLLOW.match(line) or (_BIO.match(line) and _BIO_SIGNAL.search(line)):
        return "bio"
    if _PHOTO_CREDIT.search(line) and count <= 25:
        return "photo"
    if re.fullmatch(r"(#\w+\s*)+", line):
        return "tags"
    # A block whose every sentence is matter: "Watch the trailer below." "Her is streaming
    # on Max. Subscribe for more." Splitting into sentences is prose's job, so this is
    # done loosely here: at full stops, question and exclamation marks.
    parts = [p for p in re.split(r"(?<=[.!?…])\s+", line) if p.strip()]
    kinds = [sentence_kind(p) for p in parts]
    if kinds and all(kinds):
        return kinds[-1]
    return None


def sentence_kind(sentence: str) -> str | None:
    """The kind of matter a sentence is when it ends an article, or None for prose."""
    line = plain(sentence)
    if not line:
        return "empty"
    count = len(line.split())
    if is_call_to_action(line):
        return "call-to-action"
    if count > SHORT_WORDS:
        return None
    asks = line.rstrip("\"'”’)").endswith("?")
    if _NOTE.search(line):
        return "note"
    if _TRAILER.search(line) and count <= 16 and not asks:
        return "trailer"
    if _HERE_LINK.match(line):
        return "link"
    if _AVAILABILITY.search(line) and count <= 25 and not asks:
        return "availability"
    if _AFFILIATE.search(line):
        return "affiliate"
    if _NEWSLETTER.search(line) and count <= 20:
        return "newsletter"
    if _is_sign_off(sentence) and count <= 6:
        return "sign-off"
    if _BIO.match(line) and _BIO_SIGNAL.search(line):
        return "bio"
    return None


def is_stub(text: str) -> bool:
    """A few words without sentence punctuation: a title, a name, a link's text, a heading."""
    line = plain(text)
    return len(line.split()) <= STUB_WORDS and not ends_sentence(line)
