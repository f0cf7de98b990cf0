"""Credentials found and masked in free text, and ordinary text left alone.

Tokens are built at run time by the corpus helpers (``ghp()``, ``akia()``...), which
mark the secret characters between ⟦ and ⟧; ``unmark`` splits such a line into
the text and the exact masked text expected.
"""

from __future__ import annotations

import ast
import itertools
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import storage.secrets
from storage.secrets import Finding, describe, find_secrets, mask_secrets
from tests.reliability.secret_corpus import (
    CLEAN,
    DIRTY,
    akia,
    anthropic,
    aws_secret,
    ghp,
    github_pat,
    glpat,
    jwt,
    openai,
    pem,
    rand,
    s,
    slack_hook,
    unmark,
    xox,
)

ALL_KINDS = {
    "url-password",
    "aws-access-key",
    "aws-secret-key",
    "github-token",
    "gitlab-token",
    "slack-token",
    "slack-webhook",
    "openai-key",
    "anthropic-key",
    "jwt",
    "private-key",
    "assignment",
    "authorization",
}

# (id, line with the secret marked, the masked line spelled out, the one kind expected)
BY_KIND = [
    (
        "url-asyncpg",
        f"postgresql+asyncpg://b2b_user:{s('hunter2')}@127.0.0.1:5432/b2b",
        "postgresql+asyncpg://b2b_user:***@127.0.0.1:5432/b2b",
        "url-password",
    ),
    ("url-redis-no-user", f"redis://:{s('r3dis')}@cache:6379/0", "redis://:***@cache:6379/0", "url-password"),
    (
        "url-amqp",
        f"amqp://guest:{s('guest')}@rabbit:5672//",
        "amqp://guest:***@rabbit:5672//",
        "url-password",
    ),
    (
        "url-https",
        f"see https://ada:{s('pa55word')}@example.com/x for it",
        "see https://ada:***@example.com/x for it",
        "url-password",
    ),
    (
        "url-mongodb-srv",
        f"mongodb+srv://app:{s('M0ngo#1')}@c0.mongodb.net/db",
        "mongodb+srv://app:***@c0.mongodb.net/db",
        "url-password",
    ),
    (
        "url-at-in-password",
        f"https://deploy:{s('p@ss')}@registry.local/v2",
        "https://deploy:***@registry.local/v2",
        "url-password",
    ),
    ("aws-akia", f"key {akia()} leaked", "key AKIA*** leaked", "aws-access-key"),
    ("aws-asia", f"AWS_ACCESS_KEY_ID={akia('ASIA')}", "AWS_ACCESS_KEY_ID=ASIA***", "aws-access-key"),
    (
        "aws-secret",
        f"aws_secret_access_key = {aws_secret()}",
        "aws_secret_access_key = ***",
        "aws-secret-key",
    ),
    (
        "aws-secret-env",
        f"export AWS_SECRET_ACCESS_KEY={aws_secret()}",
        "export AWS_SECRET_ACCESS_KEY=***",
        "aws-secret-key",
    ),
    ("github-ghp", f'export GITHUB_TOKEN="{ghp()}"', 'export GITHUB_TOKEN="ghp_***"', "github-token"),
    ("github-gho", f"token {ghp('o')} expired", "token gho_*** expired", "github-token"),
    ("github-ghu", f"({ghp('u')})", "(ghu_***)", "github-token"),
    (
        "github-ghs",
        f"https://x-access-token:{ghp('s')}@github.com/o/r.git",
        "https://x-access-token:ghs_***@github.com/o/r.git",
        "github-token",
    ),
    ("github-ghr", f"refresh: {ghp('r')}", "refresh: ghr_***", "github-token"),
    ("github-pat", f"GH_PAT={github_pat()}", "GH_PAT=github_pat_***", "github-token"),
    ("gitlab-glpat", f"PRIVATE-TOKEN: {glpat()}", "PRIVATE-TOKEN: glpat-***", "gitlab-token"),
    ("gitlab-runner", f'token = "{glpat("glrt")}"', 'token = "glrt-***"', "gitlab-token"),
    ("slack-xoxb", f"SLACK_BOT_TOKEN={xox('b')}", "SLACK_BOT_TOKEN=xoxb-***", "slack-token"),
    ("slack-xoxp", f"user token {xox('p')}", "user token xoxp-***", "slack-token"),
    ("slack-xoxa", f"{xox('a')}", "xoxa-***", "slack-token"),
    ("slack-xoxr", f"[{xox('r')}]", "[xoxr-***]", "slack-token"),
    ("slack-xoxs", f"legacy {xox('s')}.", "legacy xoxs-***.", "slack-token"),
    (
        "slack-webhook",
        f"curl -d @msg.json {slack_hook()}",
        "curl -d @msg.json https://hooks.slack.com/services/***",
        "slack-webhook",
    ),
    ("openai-legacy", f"OPENAI_API_KEY={openai()}", "OPENAI_API_KEY=sk-***", "openai-key"),
    ("openai-proj", f"key {openai('proj')} rotated", "key sk-proj-*** rotated", "openai-key"),
    ("anthropic", f"x-api-key: {anthropic()}", "x-api-key: sk-ant-***", "anthropic-key"),
    (
        "private-key",
        pem("EC PRIVATE KEY", 2),
        "-----BEGIN EC PRIVATE KEY-----\n***\n-----END EC PRIVATE KEY-----",
        "private-key",
    ),
    ("jwt-bearer", f"Authorization: Bearer {jwt()}", "Authorization: Bearer eyJ***", "jwt"),
    ("jwt-cookie", f"Set-Cookie: session={jwt()}; HttpOnly", "Set-Cookie: session=eyJ***; HttpOnly", "jwt"),
    (
        "sql-password",
        f"CREATE ROLE u WITH LOGIN PASSWORD '{s('hunter2')}';",
        "CREATE ROLE u WITH LOGIN PASSWORD '***';",
        "assignment",
    ),
    (
        "sql-identified-by",
        f"CREATE USER 'app'@'%' IDENTIFIED BY '{s('Pw2025')}';",
        "CREATE USER 'app'@'%' IDENTIFIED BY '***';",
        "assignment",
    ),
    ("env-password", f"PASSWORD={s('hunter2')}", "PASSWORD=***", "assignment"),
    ("env-secret", f"SECRET={s('s3cr3t')}", "SECRET=***", "assignment"),
    ("env-token", f"TOKEN={s('abc123def')}", "TOKEN=***", "assignment"),
    ("env-api-key", f"MY_API_KEY={s('k3y-' + rand(12))}", "MY_API_KEY=***", "assignment"),
    ("yaml-db-password", f"DB_PASSWORD: {s('hunter2')}", "DB_PASSWORD: ***", "assignment"),
    ("export-quoted", f'export NPM_TOKEN="{s("npm_" + rand(36))}"', 'export NPM_TOKEN="***"', "assignment"),
    (
        "python-client-secret",
        f"client_secret = '{s('cl13nt-s3cret')}'",
        "client_secret = '***'",
        "assignment",
    ),
    ("cli-flag", f"mysql --password={s('R00t!')} app", "mysql --password=*** app", "assignment"),
    (
        "json-password",
        f'{{"user": "ada", "password": "{s("L0velace")}"}}',
        '{"user": "ada", "password": "***"}',
        "assignment",
    ),
    (
        "connection-string",
        f"Server=db;User Id=sa;Password={s('Mssql!9')};",
        "Server=db;User Id=sa;Password=***;",
        "assignment",
    ),
    (
        "query-parameter",
        f"GET /reset?token={s(rand(24))}&lang=en",
        "GET /reset?token=***&lang=en",
        "assignment",
    ),
    ("xml-element", f"<password>{s('Mvn!pass42')}</password>", "<password>***</password>", "assignment"),
    ("plain-password-colon", f"Password: {s('Tr0ub4dor&3')}", "Password: ***", "assignment"),
    (
        "authorization-basic",
        f"Authorization: Basic {s('YWRhOmh1bnRlcjI=')}",
        "Authorization: Basic ***",
        "authorization",
    ),
]


@pytest.mark.parametrize(
    ("line", "expected", "kind"), [case[1:] for case in BY_KIND], ids=[case[0] for case in BY_KIND]
)
def test_each_kind_is_found_and_masked_keeping_its_context(line: str, expected: str, kind: str) -> None:
    labelled = unmark(line)
    masked, findings = mask_secrets(labelled.text)
    assert masked == expected
    assert [f.kind for f in findings] == [kind]
    assert [(f.start, f.end) for f in findings] == list(labelled.spans)


def test_every_kind_is_covered_by_the_per_kind_cases_and_the_corpus() -> None:
    assert {case[3] for case in BY_KIND} == ALL_KINDS
    corpus_kinds = {f.kind for item in DIRTY for f in find_secrets(item.text)}
    assert corpus_kinds == ALL_KINDS


def test_spans_point_into_the_original_text() -> None:
    text = "url postgresql://u:hunter2@db/app and PASSWORD='s3cr3t!'"
    findings = find_secrets(text)
    assert findings == [
        Finding("url-password", "a password in a URL", 19, 26),
        Finding("assignment", "the value of PASSWORD", 48, 55),
    ]
    assert [text[f.start : f.end] for f in findings] == ["hunter2", "s3cr3t!"]


@pytest.mark.parametrize("index", range(len(DIRTY)))
def test_corpus_line_spans_are_exactly_the_labelled_secrets(index: int) -> None:
    item = DIRTY[index]
    findings = find_secrets(item.text)
    assert [(f.start, f.end) for f in findings] == list(item.spans), item.text
    assert mask_secrets(item.text)[0] == item.masked


@pytest.mark.parametrize("index", range(len(DIRTY)))
def test_masking_is_idempotent(index: int) -> None:
    once, findings = mask_secrets(DIRTY[index].text)
    assert findings
    twice, again = mask_secrets(once)
    assert again == []
    assert twice == once


def test_already_masked_seed_lines_are_not_reported() -> None:
    for line in (
        "DATABASE_URL=postgresql+asyncpg://b2b_user:***@127.0.0.1:5432/b2b_platform",
        "- `CREATE ROLE b2b_user WITH LOGIN PASSWORD '***';`",
        "GITHUB_TOKEN=ghp_***",
        "key AKIA*** and eyJ*** and sk-ant-*** and xoxb-***",
        "-----BEGIN RSA PRIVATE KEY-----\n***\n-----END RSA PRIVATE KEY-----",
    ):
        assert find_secrets(line) == [], line


def test_findings_are_sorted_and_never_overlap() -> None:
    text = "\n".join(item.text for item in DIRTY)
    findings = find_secrets(text)
    assert len(findings) == sum(len(item.secrets) for item in DIRTY)
    for before, after in itertools.pairwise(findings):
        assert before.start < before.end <= after.start < after.end


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        (f"TOKEN={jwt()}", "jwt"),  # a JWT assigned to TOKEN: the JWT, not the assignment
        (f"https://x-access-token:{ghp('s')}@github.com/o/r", "github-token"),  # token in a URL
        (f"GITHUB_TOKEN={ghp()}", "github-token"),
        (f"Authorization: Bearer {jwt()}", "jwt"),
        (f"Authorization: token {ghp()}", "github-token"),
        (f"DB_PASSWORD=postgres://app:{s('pw12345')}@db/app", "url-password"),
        ('"private_key": "' + pem("PRIVATE KEY", 2, newline="\\n") + '\\n"', "private-key"),
        (f"OPENAI_API_KEY={openai('proj')}", "openai-key"),
    ],
    ids=[
        "jwt-in-assignment",
        "github-in-url",
        "github-in-env",
        "jwt-in-header",
        "github-in-header",
        "url-in-assignment",
        "pem-in-json",
        "openai-in-env",
    ],
)
def test_overlapping_patterns_yield_one_finding(line: str, kind: str) -> None:
    labelled = unmark(line)
    findings = find_secrets(labelled.text)
    assert [f.kind for f in findings] == [kind]
    assert mask_secrets(labelled.text)[0] == labelled.masked


def test_multiline_private_key_keeps_its_begin_and_end_lines() -> None:
    body = "\n".join(
        rand(64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") for _ in range(5)
    )
    text = f"deploy key:\n-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\nthanks"
    masked, findings = mask_secrets(text)
    assert (
        masked == "deploy key:\n-----BEGIN RSA PRIVATE KEY-----\n***\n-----END RSA PRIVATE KEY-----\nthanks"
    )
    assert [(f.kind, text[f.start : f.end]) for f in findings] == [("private-key", body)]


def test_private_key_with_crlf_and_encrypted_headers() -> None:
    body = "Proc-Type: 4,ENCRYPTED\r\nDEK-Info: AES-128-CBC,0A1B2C3D\r\n\r\n" + rand(
        64, "ABCDEFabcdef0123456789+/"
    )
    text = f"-----BEGIN RSA PRIVATE KEY-----\r\n{body}\r\n-----END RSA PRIVATE KEY-----"
    assert mask_secrets(text)[0] == "-----BEGIN RSA PRIVATE KEY-----\r\n***\r\n-----END RSA PRIVATE KEY-----"


def test_truncated_private_key_masks_the_base64_lines_only() -> None:
    lines = [rand(64, "ABCDEFabcdef0123456789+/") for _ in range(2)]
    text = "oops:\n-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\nthen I stopped the paste"
    assert (
        mask_secrets(text)[0] == "oops:\n-----BEGIN OPENSSH PRIVATE KEY-----\n***\nthen I stopped the paste"
    )


def test_a_truncated_key_does_not_run_on_to_a_later_keys_end_line() -> None:
    truncated = "-----BEGIN RSA PRIVATE KEY-----\n" + s(rand(64, "ABCDEFabcdef0123456789+/"))
    text = truncated + "\nnotes in between\n" + pem("RSA PRIVATE KEY", 2)
    labelled = unmark(text)
    assert mask_secrets(labelled.text)[0] == labelled.masked
    assert "notes in between" in labelled.masked


def test_naming_a_private_key_header_is_not_a_private_key() -> None:
    text = (
        "the file starts with -----BEGIN RSA PRIVATE KEY----- and ends with -----END RSA PRIVATE KEY-----\n"
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    )
    assert find_secrets(text) == []


@pytest.mark.parametrize(
    "line",
    [
        "the password was wrong",
        "reset the token cache",
        "password: see 1Password vault",
        "Token: expired",
        "password: str",
        "password=None",
        "PASSWORD=",
        'PASSWORD=""',
        "PASSWORD=***",
        "PASSWORD=<placeholder>",
        "PASSWORD=${DB_PASSWORD}",
        "PASSWORD=$DB_PASSWORD",
        'password = os.environ["DB_PASSWORD"]',
        "token: ${{ secrets.GITHUB_TOKEN }}",
        "connect(user=user, password=password)",
        "auth: oauth2",
        "PWD=/home/ada/project",
        "GIT_ASKPASS=/usr/lib/git-core/git-gui--askpass",
        "TOKEN_EXPIRE_MINUTES=30",
        "Authorization: Bearer <token>",
        "AKIAIOSFODNN7EXAMPLE is the key the AWS docs use",
        "commit be4136aa1c68 and 3f2a9c1e0b7d4e21a8f6c5b4d3e2f1a0b9c8d7e6",
        "request 123e4567-e89b-12d3-a456-426614174000",
        "git clone https://ada@github.com/org/repo.git",
        "## Tokens, passwords and secrets: never paste them here",
    ],
)
def test_ordinary_text_is_left_alone(line: str) -> None:
    assert find_secrets(line) == []
    assert mask_secrets(line) == (line, [])


def test_dummy_values_that_may_really_work_are_still_masked() -> None:
    masked, findings = mask_secrets("ELASTIC_PASSWORD=changeme POSTGRES_PASSWORD=postgres")
    assert masked == "ELASTIC_PASSWORD=*** POSTGRES_PASSWORD=***"
    assert len(findings) == 2


def test_describe_lists_what_was_masked() -> None:
    text = f"postgresql://u:hunter2@db/x {unmark(akia()).text} {unmark(ghp()).text} {unmark(ghp()).text}"
    assert describe(find_secrets(text)) == (
        "masked 4 secrets: a password in a URL, an AWS access key, a GitHub token (x2)"
    )
    assert describe(find_secrets("PASSWORD=hunter2")) == "masked 1 secret: the value of PASSWORD"
    assert describe([]) == "no secrets found"


def test_finding_is_a_frozen_value() -> None:
    finding = Finding("jwt", "a JSON Web Token", 3, 10)
    assert finding == Finding("jwt", "a JSON Web Token", 3, 10)
    with pytest.raises(AttributeError):
        finding.start = 4  # type: ignore[misc]


def test_module_imports_only_the_standard_library() -> None:
    tree = ast.parse(Path(storage.secrets.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}


def test_corpus_figures() -> None:
    """Every labelled secret masked, no finding on clean text: the figures are printed (pytest -s)."""
    assert len(DIRTY) >= 120
    assert len(CLEAN) >= 300
    secrets = leaked = over_masked = exact = 0
    by_kind: Counter[str] = Counter()
    for item in DIRTY:
        masked, findings = mask_secrets(item.text)
        covered = {i for f in findings for i in range(f.start, f.end)}
        labelled = {i for start, end in item.spans for i in range(start, end)}
        secrets += len(item.spans)
        leaked += sum(1 for start, end in item.spans if not set(range(start, end)) <= covered)
        over_masked += sum(1 for f in findings if not set(range(f.start, f.end)) <= labelled)
        exact += masked == item.masked
        by_kind.update(f.kind for f in findings)
    false_positives = [(line, find_secrets(line)) for line in CLEAN]
    false_positives = [(line, found) for line, found in false_positives if found]
    rate = len(false_positives) / len(CLEAN)
    print()
    print(f"DIRTY: {len(DIRTY)} lines, {secrets} labelled secrets; by kind: {dict(sorted(by_kind.items()))}")
    print(f"  leaked (left unmasked): {leaked}; over-masked findings: {over_masked}")
    print(f"  masked exactly as labelled: {exact}/{len(DIRTY)} lines")
    print(f"CLEAN: {len(CLEAN)} lines, false positives: {len(false_positives)} ({rate:.2%})")
    for line, found in false_positives:
        print(f"  FP {[(f.kind, line[f.start : f.end]) for f in found]} in {line[:100]!r}")
    assert leaked == 0
    assert over_masked == 0
    assert exact == len(DIRTY)
    assert rate <= 0.01
    # Measured at 0: anything flagged now is a regression to look at, not noise.
    assert false_positives == []


def test_a_one_megabyte_paste_is_masked_whole() -> None:
    """No timing assertion (the suite runs in parallel): a 1 MB text is scanned and masked throughout."""
    block = "\n".join(CLEAN + [item.text for item in DIRTY]) + "\n"
    copies = 1_000_000 // len(block) + 1
    text = block * copies
    assert len(text) >= 1_000_000
    masked, findings = mask_secrets(text)
    assert len(findings) == copies * sum(len(item.secrets) for item in DIRTY)
    assert masked == ("\n".join(CLEAN + [item.masked for item in DIRTY]) + "\n") * copies


def _pieces_of_anchors() -> list[str]:
    """Every anchor, its prefixes and suffixes: text made of them nearly holds one everywhere."""
    anchors = storage.secrets._ANCHORS
    return sorted({part for a in anchors for i in range(len(a) + 1) for part in (a[:i], a[i:])} - {""})


@given(st.lists(st.sampled_from(_pieces_of_anchors()) | st.text(max_size=3), max_size=12).map("".join))
@settings(max_examples=2000, deadline=None)
def test_the_anchor_pattern_finds_an_anchor_exactly_when_one_is_there(text: str) -> None:
    # The quick look searches one pattern arranged by first letters; it must say what looking
    # for each anchor in turn says, on text made of anchors' pieces (glued, cut, one short).
    lowered = text.lower()
    expected = any(anchor in lowered for anchor in storage.secrets._ANCHORS)
    assert (storage.secrets._ANCHOR_RE.search(lowered) is not None) is expected


def test_each_anchor_alone_and_in_a_word_is_found() -> None:
    for anchor in storage.secrets._ANCHORS:
        assert storage.secrets._ANCHOR_RE.search(anchor)
        assert storage.secrets.may_hold_secrets(f"x{anchor.upper()}y")
        assert not storage.secrets._ANCHOR_RE.search(anchor[:-1] + " " + anchor[-1])


_FRAGMENTS = [
    *_pieces_of_anchors(),
    *(item.text for item in DIRTY[:40]),
    *CLEAN[:40],
    *("pass", "passed", "passes", "PASS=", "Pass: x9!", "://", "@", ":", "***", "=", "'", " ", "\n"),
    *("Σ", "\u212a", "İ", "ß"),  # lower-casing that is not letter by letter
]


@given(
    st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=4), max_size=10).map("".join),
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 400)), max_size=4),
    st.lists(st.sampled_from(_FRAGMENTS), max_size=3).map("".join),
)
@settings(max_examples=3000, deadline=None)
def test_an_entry_is_masked_as_each_of_its_texts_would_be(raw: str, cuts: list[tuple[int, int]], other: str) -> None:
    # mask_entry looks once at the raw text, and at a field again only when it is not part of
    # it: whatever that skips, masking each field and the raw text on its own must agree.
    from storage.writing import mask_entry, mask_text

    fields = {f"f{index}": raw[start:end] for index, (start, end) in enumerate(cuts)}
    fields["other"] = other
    fields = {name: value for name, value in fields.items() if value}
    each = {name: mask_text(value) for name, value in fields.items()}
    masked_raw, raw_labels = mask_text(raw)
    labels = tuple(label for _, found in each.values() for label in found) or raw_labels
    assert mask_entry(fields, raw) == ({name: text for name, (text, _) in each.items()}, masked_raw, labels)


def test_a_field_lower_cased_unlike_the_raw_text_is_looked_at_on_its_own() -> None:
    # With a dotted İ somewhere, the raw text is lower-cased ASCII letters only, and the
    # Kelvin sign in "API_KEY" stays as it is; the field, without the İ, reads "api_key".
    from storage.writing import mask_entry

    raw = "İ API_\u212aEY=Zq8vN3xT7pL2wRk9"
    fields, _, found = mask_entry({"what": raw[2:]}, raw)
    assert fields == {"what": "API_\u212aEY=***"} and found == ("the value of API_\u212aEY",)
