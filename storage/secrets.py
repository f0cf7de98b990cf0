"""Credentials in free text: find them and mask them before anything is written.

Pure functions over plain strings, standard library only. Every field of every
entry passes through :func:`mask_secrets` before it is stored, mirrored or
exported, so the patterns are anchored on literal prefixes or on a short list
of secret-sounding names and stay linear in the length of the text.

Masking keeps the context a hand-kept log would keep and replaces only the
secret characters with ``***``: ``postgresql://user:***@host``, ``ghp_***``,
``AKIA***``, ``eyJ***``, ``PASSWORD '***'``, and for a private key the BEGIN
and END lines around a ``***`` body (the line breaks next to them are kept).
A :class:`Finding` spans exactly the characters that are replaced, so masked
text is the original with every span swapped for ``***``; masking is
idempotent because ``***`` is never reported again.

What is deliberately *not* flagged (``_NOT_SECRET_VALUES``, ``_REFERENCE``,
:func:`_assigned_value`), measured on the labelled corpus in
``tests/reliability/secret_corpus.py``:

- no "high-entropy string" guessing: commit hashes, sha256 sums, UUIDs, image
  digests and base64 words are left alone, so a bare 40-character AWS secret
  key, Stripe or Google key without a secret-sounding name is not recognised;
  nor are ``curl -u user:pass``, ``mysql -pPASS``, ``.netrc`` or ``.pgpass``
  lines, or "the password is hunter2";
- values that point at a secret rather than hold one: ``${VAR}``, ``$VAR``
  (so a password that starts with ``$`` is taken for a reference), ``%VAR%``,
  ``{{ secrets.X }}``, ``<placeholder>``, ``your-api-key-here``,
  ``os.environ[...]``, ``settings.X``, calls, a variable passed under its own
  name (``password=password``, ``self.auth = auth``) or assigned in pasted
  code (``first_token = prev``), type annotations (``password: str``,
  ``token: FilterOrBool = None``), already-masked values (``***``, ``****``,
  ``[REDACTED]``), AWS's documented ``...EXAMPLE`` keys;
- booleans, ``none``/``null``, small numbers, versions, status words
  (``token: expired``), auth method names (``auth: oauth2``), password
  managers (``password: see 1Password vault``: it says where the secret is);
- ``pass`` and ``auth`` only as whole name parts (not ``bypass``, ``OAuth``,
  ``GIT_ASKPASS``), and ``PWD=/path`` is the shell's working directory;
- prose after a plain ``password:`` / ``Token:`` (a lowercase or Capitalised
  word and a colon): only values that look generated (digits with letters,
  symbols, mixed case) are taken, never a path or URL, and when more words
  follow on the line the value must also be 10+ characters long. Quoted
  values that read as a sentence (``"This field is required."``) are messages.

Dummy-looking values that may really work (``changeme``, ``postgres``,
``scott:tiger``, ``password`` after another name, as in
``POSTGRES_PASSWORD=password``) *are* masked: hiding them costs nothing and
they are often the live credential.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

MASK = "***"


@dataclass(frozen=True)
class Finding:
    """One secret: what it is and which characters of the original text hold it."""

    kind: str
    label: str
    start: int
    end: int


# Fixed-format tokens: (kind, label, pattern whose "secret" group is what gets masked). Each pattern
# starts with its literal prefix, the word-boundary check coming after it, so that the regex engine
# skips ahead to the prefix instead of trying every position of a long paste.
_TOKEN_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "jwt",
        "a JSON Web Token",
        re.compile(r"eyJ(?<![\w-]eyJ)(?P<secret>[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,})"),
    ),
    (
        "anthropic-key",
        "an Anthropic API key",
        re.compile(r"sk-ant-(?<![\w-]sk-ant-)(?P<secret>[A-Za-z0-9_-]{20,})"),
    ),
    (
        "openai-key",
        "an OpenAI API key",
        re.compile(r"sk-(?<![\w-]sk-)(?!ant-)(?:(?:proj|svcacct|admin)-)?(?P<secret>[A-Za-z0-9_-]{20,})"),
    ),
    (
        "github-token",
        "a GitHub token",
        re.compile(r"gh[pousr]_(?<![\w-]gh._)(?P<secret>[A-Za-z0-9]{30,255})"),
    ),
    (
        "github-token",
        "a GitHub token",
        re.compile(r"github_pat_(?<![\w-]github_pat_)(?P<secret>\w{22,255})"),
    ),
    (
        "gitlab-token",
        "a GitLab token",
        re.compile(r"gl(?<![\w-]gl)(?:pat|dt|rt|ptt|soat)-(?P<secret>[\w-]{20,})"),
    ),
    (
        "slack-webhook",
        "a Slack webhook URL",
        re.compile(r"hooks\.slack\.com/services/(?P<secret>T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{16,})"),
    ),
    (
        "slack-token",
        "a Slack token",
        re.compile(r"xox(?<![\w-]xox)[abprs]-(?P<secret>[A-Za-z0-9-]{10,})"),
    ),
    (
        "aws-access-key",
        "an AWS access key",
        re.compile(r"A[KS]IA(?<![A-Za-z0-9]A[KS]IA)(?P<secret>[A-Z0-9]{16})(?![A-Za-z0-9])"),
    ),
)
# ``sk-`` is a weak prefix (``sk-learn``-like slugs): a key's random part mixes cases and digits.
_RANDOM_ENOUGH = re.compile(r"(?=.*[a-z])(?=.*[A-Z])(?=.*[0-9])")

_PRIVATE_KEY_BEGIN = re.compile(r"-----BEGIN (?P<what>[A-Z0-9 ]{0,30}?PRIVATE KEY(?: BLOCK)?)-----")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=]{16,}")
# The body opens with base64 or with header lines (Proc-Type: 4,ENCRYPTED / Version: GnuPG).
_PEM_BODY_START = re.compile(r"\s*(?:\\[nr]\s*)*(?:[A-Za-z0-9+/=]{16}|[A-Za-z][A-Za-z-]*: )")
# Without an END line: whole lines of base64, newlines real or escaped.
_PEM_LINES = re.compile(r"(?:(?:[ \t]*(?:\r?\n|\\n))?[ \t]*[A-Za-z0-9+/=]{4,}[ \t]*(?=\r?\n|\\n|\Z))+")
_ESCAPED_BREAKS = ("\\n", "\\r")

# scheme://user:PASSWORD@host; the password may hold '@' (the last one before the host wins).
_URL_PASSWORD = re.compile(r"://[^\s:/?#@'\"<>\[\]]*:(?P<secret>[^\s/?'\"<>]+)@")

# Run on the lower-cased text (see _lowercase): IGNORECASE would try every position.
_AUTH_HEADER = re.compile(
    r"authorization(?<![\w-]authorization)[\"']?[ \t]*[:=][ \t]*[\"']?"
    r"(?:bearer|basic|token|bot|digest)[ \t]+(?P<secret>[\w.~+/=-]{8,})"
)

# NAME = value, NAME: value, NAME 'value', "NAME": "value", --name=value, IDENTIFIED BY 'value'.
# Run on the lower-cased text from the secret word on; the rest of the name is read backwards.
_SECRET_NAME = (
    r"(?:pass(?:word|wd|phrase)?|pwd|secret(?:[_.-]?key(?:[_.-]?base)?)?|token"
    r"|api[_.-]?key|access[_.-]?key|private[_.-]?key|auth)"
)
_ASSIGNMENT = re.compile(
    r"(?P<name>" + _SECRET_NAME + r"|identified[ \t]+by)"
    r"(?:(?P<kq>\\?[\"'`])\]?)?"
    r"(?P<sep>[ \t]*(?:[:?]?=>?|:)[ \t]*|[ \t]+(?=\\?[\"'`]))"
    r"(?P<value>\\\"[^\"\\\n]*\\\"|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|`[^`\n]*`"
    r"|[^\s\"'`,;<>]+)"
)
# <password>value</password> (Maven settings.xml, NuGet.config), also on the lower-cased text.
_XML_ELEMENT = re.compile(r"<(?P<tag>[\w:.-]*?" + _SECRET_NAME + r")>(?P<value>[^<>\n]+)</(?P=tag)>")
_NAME_HEAD = re.compile(r"[\w.-]+\Z")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_NAME_SUFFIX = re.compile(_SECRET_NAME + r"\Z", re.IGNORECASE)
_PLAIN_NAME = re.compile(r"[A-Za-z][a-z]*")
_AWS_SECRET_NAME = re.compile(r"aws.?secret|secret.?access.?key", re.IGNORECASE)

_NOT_SECRET_VALUES = frozenset(
    """
    true false yes no on off none null nil undefined unset empty n/a na tbd todo
    redacted [redacted] <redacted> [filtered] filtered hidden masked [masked] removed
    str string bytes int integer bool boolean number any object optional text varchar char secretstr
    secretbytes list dict mapped field
    ok valid invalid expired missing present set required enabled disabled rotated revoked reset changed
    updated works working broken fixed failed failing done unknown error see
    basic bearer digest oauth oauth2 oidc jwt saml sso ldap kerberos ntlm scram-sha-256 md5 trust peer
    cert mtls session cookie header
    1password bitwarden lastpass keepass keychain vault
    """.split()
)
_REFERENCE = re.compile(
    r"""\A(?:
        \$\{[^}]*\}? | \$\(.*\)? | \$\w+ | %\w+% | \{.* | %(?:\(\w+\))?[sdr]
        | <[^>]*>? | \.\.\.+ | … | x{3,} | \*+ | ![A-Za-z]\w* | [|>][-+]?\d? | &\w+
        | \#[0-9a-f]{3,8} | \d+(?:\.\d+)+
        | your[_-][\w-]+
    )\Z""",
    re.IGNORECASE | re.VERBOSE,
)
# os.environ["X"], os.getenv("X"), settings.SECRET_KEY, get_secret(), Annotated[str, ...], Read-Host
_CODE = re.compile(
    r"\A[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*[(\[]|\A[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\Z"
    r"|\A[A-Z][a-z]+-[A-Z][A-Za-z]+\Z"
)
_MIXED_CASE = re.compile(r"[a-z][A-Z]")
_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")
_ALNUM = re.compile(r"[^\W_]")
_SYMBOL = re.compile(r"[^\w.-]")
_NUMBER = re.compile(r"-\d+|\d{1,3}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_]*")
_ANNOTATION = re.compile(r"_?[A-Z][A-Za-z]*(?:=\S*)?")
_NOT_A_VALUE_START = frozenset("()[]{}|=")
_AFTER_TYPE = frozenset("=,)|]#[")
_FOLD = re.compile(r"[^a-z0-9]")
_DRIVE = re.compile(r"[A-Za-z]:[\\/]")
_LOCATION = re.compile(r"[A-Za-z][\w+.-]*://|[~/]|[A-Za-z]:[\\/]|\.\.?/")
_SQL_USER = re.compile(r"\b(?:user|role|login)\b", re.IGNORECASE)
_PROSE_WORD = re.compile(r"[A-Za-z0-9'’-]+[.,!?:;]?")
_TRAILING_PUNCTUATION = ".,;:)]}"
_UNBALANCED = frozenset(" \t)]},;")
_LINE_ENDS = ("#", "//", ",", "}", "]", "|")


def _is_reference(value: str) -> bool:
    stripped = value.strip()
    return (
        not stripped
        or MASK in stripped
        or stripped.lower() in _NOT_SECRET_VALUES
        or _REFERENCE.match(stripped) is not None
    )


def _looks_generated(value: str) -> bool:
    """Digits with letters, a symbol, or an upper-case letter after a lower-case one."""
    if len(value) < 6:
        return False
    if _DIGIT.search(value) and _LETTER.search(value):
        return True
    return _SYMBOL.search(value) is not None or _MIXED_CASE.search(value) is not None


def _looks_like_prose(value: str) -> bool:
    """'This field is required.' as a JSON value is a message, not a passphrase."""
    words = value.split()
    if len(words) < 3 or not all(_PROSE_WORD.fullmatch(w) for w in words):
        return False
    return value.rstrip()[-1:] in ".!?" or len(words) >= 6


def _name_is_secret(key: str) -> bool:
    """``auth`` and ``pass`` count only as whole parts (not ``OAuth``, ``bypass``, ``GIT_ASKPASS``)."""
    if key.lower().startswith("identified"):
        return True
    suffix = _NAME_SUFFIX.search(key)
    if suffix is None:
        return False
    word = suffix.group().lower()
    if word in ("auth", "pass") and suffix.start() > 0:
        before, first = key[suffix.start() - 1], key[suffix.start()]
        return before in "_-." or (before.islower() and first.isupper())
    return True


def _lowercase(text: str) -> str:
    """``text`` lower-cased with every character kept at its index (``str.lower`` may lengthen)."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


def _fixed_token_findings(text: str, lowered: str) -> Iterator[Finding]:
    for kind, label, pattern in _TOKEN_PATTERNS:
        for match in pattern.finditer(text):
            if kind == "openai-key" and not _RANDOM_ENOUGH.match(match.group("secret")):
                continue
            if kind == "aws-access-key" and match.group("secret").endswith("EXAMPLE"):
                continue  # AKIAIOSFODNN7EXAMPLE and friends, from the AWS documentation
            yield Finding(kind, label, match.start("secret"), match.end("secret"))


def _inside_breaks(text: str, start: int, end: int) -> tuple[int, int]:
    """Narrow ``text[start:end]`` past blank space and escaped ``\\n`` (a key pasted from JSON)."""
    while start < end:
        if text[start].isspace():
            start += 1
        elif text.startswith(_ESCAPED_BREAKS, start):
            start += 2
        else:
            break
    while end > start:
        if text[end - 1].isspace():
            end -= 1
        elif end - start >= 2 and text[end - 2 : end] in _ESCAPED_BREAKS:
            end -= 2
        else:
            break
    return start, end


class _Next:
    """Where a search next succeeds, asked from positions that only grow: amortised O(1) a call.

    Keeps a paste of ten thousand BEGIN lines linear instead of rescanning the text for each.
    """

    def __init__(self, find: Callable[[int], int]) -> None:
        self._find = find
        self._asked = -1
        self._found = -1

    def __call__(self, pos: int) -> int:
        still_valid = 0 <= self._asked <= pos and (self._found < 0 or self._found >= pos)
        if not still_valid:
            self._asked, self._found = pos, self._find(pos)
        return self._found


def _private_key_findings(text: str, lowered: str) -> Iterator[Finding]:
    next_end: dict[str, _Next] = {}
    next_begin = _Next(lambda at: text.find("-----BEGIN ", at))
    pos = 0
    while (begin := _PRIVATE_KEY_BEGIN.search(text, pos)) is not None:
        pos = begin.end()
        end_line = f"-----END {begin.group('what')}-----"
        if end_line not in next_end:
            next_end[end_line] = _Next(lambda at, line=end_line: text.find(line, at))
        stop = next_end[end_line](pos)
        if 0 <= next_begin(pos) < stop:
            stop = -1  # that END closes a later key
        if stop < 0:  # a truncated paste: the key is the base64 lines that follow
            lines = _PEM_LINES.match(text, pos)
            stop = -1 if lines is None or _BASE64_RUN.search(lines.group()) is None else lines.end()
        elif _PEM_BODY_START.match(text, pos) is None:
            stop = -1
        if stop < 0:
            continue  # "starts with -----BEGIN RSA PRIVATE KEY----- and ..." names a key, holds none
        yield Finding("private-key", "a private key", *_inside_breaks(text, pos, stop))
        pos = stop


def _url_password_findings(text: str, lowered: str) -> Iterator[Finding]:
    for match in _URL_PASSWORD.finditer(text):
        if not _is_reference(match.group("secret")):
            yield Finding("url-password", "a password in a URL", match.start("secret"), match.end("secret"))


def _auth_header_findings(text: str, lowered: str) -> Iterator[Finding]:
    for match in _AUTH_HEADER.finditer(lowered):
        start, end = match.span("secret")
        if _looks_generated(text[start:end]) and not _is_reference(text[start:end]):
            yield Finding("authorization", "a credential in an Authorization header", start, end)


def _assignment_findings(text: str, lowered: str) -> Iterator[Finding]:
    for match in _ASSIGNMENT.finditer(lowered):
        name_start = match.start("name")
        head = _NAME_HEAD.search(text, max(0, name_start - 80), name_start)
        key_start = name_start if head is None else head.start()
        key = text[key_start : match.end("name")]
        if not _name_is_secret(key) or text[max(0, key_start - 2) : key_start] == "${":
            continue
        span = _assigned_value(text, match, key)
        if span is None:
            continue
        name = key.strip("-`'\"")
        if _AWS_SECRET_NAME.search(name):
            yield Finding("aws-secret-key", "an AWS secret access key", *span)
        elif name.lower().startswith("identified"):
            yield Finding("assignment", "a password in IDENTIFIED BY", *span)
        else:
            yield Finding("assignment", f"the value of {name[:40]}", *span)


def _xml_findings(text: str, lowered: str) -> Iterator[Finding]:
    for match in _XML_ELEMENT.finditer(lowered):
        start, end = _inside_breaks(text, *match.span("value"))
        tag = text[match.start("tag") : match.end("tag")]
        if _name_is_secret(tag) and not _is_reference(text[start:end]):
            yield Finding("assignment", f"the value of <{tag[:40]}>", start, end)


def _assigned_value(text: str, match: re.Match[str], key: str) -> tuple[int, int] | None:
    """The span of the value assigned to ``key``, or None when it is no secret.

    None for references, code, type annotations and prose: see the module docstring.
    """
    sep = match.group("sep").strip()
    start, end = match.span("value")
    value = text[start:end]
    plain = match.group("kq") is None and _PLAIN_NAME.fullmatch(key) is not None
    lookback = max(0, start - 200)  # bounded, so that a single huge line stays linear
    line_start = max(lookback, text.rfind("\n", lookback, start) + 1)
    if not sep:  # NAME 'value': PASSWORD 'x' in SQL, or prose
        word = match.group("name")
        if match.group("kq") or word == "pass" or not word.startswith(("pass", "pwd", "identified")):
            return None  # 'password' 'token' / "you can pass 'x'" / "the token 'cache'"
        sql = key.isupper() or _SQL_USER.search(text, line_start, start) is not None
        if key.lower().startswith("identified") and not sql:
            return None  # "a library identified by 'name'"
    quoted = value[0] in "\"'`" or value.startswith('\\"')
    if quoted:
        width = 2 if value[0] == "\\" else 1
        start, end, value = start + width, end - width, value[width:-width]
        if value[:1] in _UNBALANCED or _looks_like_prose(value):
            return None  # ("Password: ") or ...: the quotes pair up the other way
    else:
        if "=" in sep:  # token=abc&state=xyz: '&' starts the next parameter
            value = value.partition("&")[0]
        value = value.rstrip(_TRAILING_PUNCTUATION)
        end = start + len(value)
        if _CODE.match(value) or _NUMBER.fullmatch(value) or value[:1] in _NOT_A_VALUE_START:
            return None  # code, a small number, "token==null", "(?:password:)|(...)"
        if _ALNUM.search(value) is None or text[end : end + 1] in ("'", '"'):
            return None  # punctuation, or a string prefix: token = rf'...'
    if len(value) < 2 or _is_reference(value) or _same_name(value, key, match.group("name")):
        return None
    if key.lower() in ("pwd", "oldpwd") and (value.startswith(("/", "~")) or _DRIVE.match(value)):
        return None  # the shell's working directory, not ODBC's PWD=...
    if quoted:
        return start, end
    if sep != ":":
        spaced = match.group("sep")[:1] in " \t" and match.group("sep")[-1:] in " \t"
        if spaced and key == key.lower() and _IDENTIFIER.fullmatch(value):
            return None  # first_token = prev: a variable in pasted code
        return start, end
    rest = text[end : end + 200].partition("\n")[0].strip()
    annotation = _ANNOTATION.fullmatch(value)
    if annotation and ("=" in value or _MIXED_CASE.search(value) or rest[:1] in _AFTER_TYPE):
        return None  # password: FilterOrBool = False / end_token: Token  # comment
    if plain and (not _looks_generated(value) or _LOCATION.match(value)):
        return None  # "password: see the vault", "Token: expired", "Token: https://gitlab.com/..."
    # When more words follow on the line, only a generated-looking value is taken.
    more = bool(rest) and not rest.startswith(_LINE_ENDS)
    if more and (not _looks_generated(value) or (plain and len(value) < 10)):
        return None
    return start, end


def _same_name(value: str, key: str, word: str) -> bool:
    """password=password, self.auth = auth, trio_token=token: a variable passed under its name."""
    folded = _FOLD.sub("", value.lower())
    names = {_FOLD.sub("", key.lower()), _FOLD.sub("", key.rsplit(".", 1)[-1].lower())}
    if key == key.lower():
        names.add(_FOLD.sub("", word.lower()))
    return folded in names


# Earlier detectors win where findings overlap: the most specific pattern names the secret.
_DETECTORS: tuple[Callable[[str, str], Iterator[Finding]], ...] = (
    _private_key_findings,
    _fixed_token_findings,
    _url_password_findings,
    _auth_header_findings,
    _xml_findings,
    _assignment_findings,
)


# Every detector is anchored on one of these (in the lower-cased text): text with none of them
# holds no secret, and most fields of most entries take that path.
_ANCHORS = (
    "eyj",
    "sk-",
    "github_pat_",
    "hooks.slack",
    "xox",
    "akia",
    "asia",
    "-----begin",
    "pwd",
    "secret",
    "token",
    "key",
    "auth",
    "identified",
    *("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),  # GitHub tokens
    *("glpat-", "gldt-", "glrt-", "glptt-", "glsoat-"),  # GitLab tokens
)


def _alternatives(words: Iterable[str]) -> str:
    """A pattern matching any of ``words``, arranged by their first letters ("s(?:ecret|k\\-)"):
    ``re`` then tries one branch where a word may start, not every word. Looking for the
    anchors one by one took 20% longer (and a plain alternation of them longer still)."""
    by_first: dict[str, list[str]] = {}
    for word in words:
        by_first.setdefault(word[0], []).append(word[1:])
    branches = []
    for first, rests in sorted(by_first.items()):
        if len(rests) == 1 or "" in rests:
            branches += [re.escape(first + rest) for rest in rests]
        else:
            branches.append(f"{re.escape(first)}(?:{_alternatives(rests)})")
    return "|".join(branches)


_ANCHOR_RE = re.compile(_alternatives(_ANCHORS))


def may_hold_secrets(text: str) -> bool:
    """False when no detector could match anywhere in ``text`` (a quick, conservative look)."""
    return _may_hold_secrets(_lowercase(text))


def parts_may_hold_secrets(parts: Iterable[str], whole: str) -> bool:
    """:func:`may_hold_secrets` for ``whole`` and each of ``parts``: texts mostly taken from
    it (an entry's raw text, and the fields read from it).

    A part found in ``whole`` (both lower-cased) is not looked at again: an anchor, a
    password in a URL or a "pass" not followed by "ed" in it is in ``whole`` too, or the
    part ends before what would follow it (so no detector matches there either). Half the
    text to look through for an entry of a hand-kept log, whose fields are cut from its line.
    """
    lowered = whole.lower()
    # Letter by letter (each letter gives one, whatever its neighbours: not so for a final
    # sigma), a part of ``whole`` lower-cased is a part of ``lowered``; else each is compared.
    by_letter = len(lowered) == len(whole) and "Σ" not in whole
    if not by_letter:
        lowered = _lowercase(whole)
    if _may_hold_secrets(lowered):
        return True
    rest = [part for part in parts if not (part in whole if by_letter else _lowercase(part) in lowered)]
    return bool(rest) and _may_hold_secrets(_lowercase("\n".join(rest)))


def _may_hold_secrets(lowered: str) -> bool:
    if _ANCHOR_RE.search(lowered):
        return True
    if "@" in lowered:  # scheme://user:pass@host; one masked already (user:***@host) is fine
        for match in _URL_PASSWORD.finditer(lowered):
            if match["secret"] != MASK:
                return True
    # "pass" names a secret (PASS=, password); "40 passed" in every verification does not.
    return "pass" in lowered and lowered.count("pass") > lowered.count("passed") + lowered.count("passes")


def find_secrets(text: str) -> list[Finding]:
    """Every secret in ``text``: non-overlapping, sorted by start."""
    lowered = _lowercase(text)
    if not _may_hold_secrets(lowered):
        return []
    found: list[Finding] = []
    starts: list[int] = []
    for detector in _DETECTORS:
        for finding in detector(text, lowered):
            at = bisect_right(starts, finding.start)
            if at > 0 and found[at - 1].end > finding.start:
                continue
            if at < len(found) and found[at].start < finding.end:
                continue
            found.insert(at, finding)
            starts.insert(at, finding.start)
    return found


def mask_secrets(text: str) -> tuple[str, list[Finding]]:
    """``text`` with every secret replaced by ``***``, and what was replaced."""
    findings = find_secrets(text)
    if not findings:
        return text, findings
    parts: list[str] = []
    pos = 0
    for finding in findings:
        parts += [text[pos : finding.start], MASK]
        pos = finding.end
    parts.append(text[pos:])
    return "".join(parts), findings


def describe(findings: list[Finding]) -> str:
    """'masked 2 secrets: a password in a URL, an AWS access key' (repeats counted once, with xN)."""
    if not findings:
        return "no secrets found"
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.label] = counts.get(finding.label, 0) + 1
    what = ", ".join(label if n == 1 else f"{label} (x{n})" for label, n in counts.items())
    noun = "secret" if len(findings) == 1 else "secrets"
    return f"masked {len(findings)} {noun}: {what}"
