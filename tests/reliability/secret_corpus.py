"""A labelled corpus for storage.secrets: lines that hold credentials, and lines that must not.

``DIRTY`` lines are written with the secret characters between ⟦ and ⟧: exactly the
characters that must become ``***`` (a recognisable prefix such as ``ghp_`` or
``AKIA`` stays outside the brackets). :func:`unmark` turns each into the plain
text, the secrets, their spans and the expected masked text.

Every token is fake and built here at import time from a seeded generator, with
its prefix split in the source ("gh" + "p_"), so no format-correct credential
is ever written to a file that secret scanners (or push protection) read.

``CLEAN`` lines must produce no finding at all: the two seed logs as they are,
then commit hashes, UUIDs, digests, paths, URLs without passwords, prose and
docs about tokens and passwords, code that refers to secrets without holding
them, tracebacks and test output.
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass

OPEN, CLOSE = "\u27e6", "\u27e7"

_RNG = random.Random(20251214)
_ALNUM = string.ascii_letters + string.digits
_UPPER_ALNUM = string.ascii_uppercase + string.digits
_B64 = _ALNUM + "+/"
_B64URL = _ALNUM + "-_"


def _draw(alphabet: str, n: int) -> str:
    """n random characters, holding a lower-case letter, an upper-case one and a digit where the alphabet has them."""
    classes = [cls for cls in (str.islower, str.isupper, str.isdigit) if any(cls(c) for c in alphabet)]
    while True:
        drawn = "".join(_RNG.choice(alphabet) for _ in range(n))
        if n < 6 or all(any(cls(c) for c in drawn) for cls in classes):
            return drawn


def _digits(n: int) -> str:
    return "".join(_RNG.choice(string.digits) for _ in range(n))


def s(secret: str) -> str:
    """Mark ``secret`` as the characters that must be masked."""
    return f"{OPEN}{secret}{CLOSE}"


def ghp(kind: str = "p") -> str:
    return "gh" + kind + "_" + s(_draw(_ALNUM, 36))


def github_pat() -> str:
    return "github" + "_pat_" + s(_draw(_ALNUM, 22) + "_" + _draw(_ALNUM, 59))


def glpat(prefix: str = "glpat") -> str:
    return prefix + "-" + s(_draw(_ALNUM, 20))


def xox(letter: str) -> str:
    return "xo" + "x" + letter + "-" + s(f"{_digits(11)}-{_digits(13)}-{_draw(_ALNUM, 24)}")


def slack_hook() -> str:
    return (
        "https://hooks.slack.com/"
        + "services/"
        + s(f"T{_draw(_UPPER_ALNUM, 8)}/B{_draw(_UPPER_ALNUM, 10)}/{_draw(_ALNUM, 24)}")
    )


def openai(kind: str = "") -> str:
    if kind:
        return "sk" + f"-{kind}-" + s(_draw(_B64URL, 74) + "T3BlbkFJ" + _draw(_B64URL, 74))
    return "sk" + "-" + s(_draw(_ALNUM, 48))


def anthropic() -> str:
    return "sk" + "-ant-" + s("api03-" + _draw(_B64URL, 93) + "AA")


def akia(prefix: str = "AKIA") -> str:
    return prefix + s(_draw(_UPPER_ALNUM, 16))


def aws_secret() -> str:
    return s(_draw(_B64, 40))


def _b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def jwt(sub: str = "user-42") -> str:
    header = _b64url({"alg": "HS256", "typ": "JWT"})
    payload = _b64url({"sub": sub, "iat": 1765720000, "exp": 1765723600})
    return header[:3] + s(header[3:] + "." + payload + "." + _draw(_B64URL, 43))


def pem(label: str, lines: int = 4, newline: str = "\n") -> str:
    body = newline.join(_draw(_B64, 64) for _ in range(lines)) + newline + _draw(_B64, 24) + "=="
    return f"-----BEGIN {label}-----{newline}{s(body)}{newline}-----END {label}-----"


def rand(n: int = 16, alphabet: str = _ALNUM) -> str:
    return _draw(alphabet, n)


@dataclass(frozen=True)
class Dirty:
    """One labelled line: the text, what in it is secret, and the text as it must be masked."""

    text: str
    secrets: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    masked: str


def unmark(marked: str) -> Dirty:
    """Split a line with ⟦secret⟧ marks into its text, secrets, spans and expected masked text."""
    text: list[str] = []
    masked: list[str] = []
    secrets: list[str] = []
    spans: list[tuple[int, int]] = []
    rest = marked
    length = 0
    while OPEN in rest:
        before, _, tail = rest.partition(OPEN)
        secret, found, rest = tail.partition(CLOSE)
        assert found and OPEN not in secret, marked
        text += [before, secret]
        masked += [before, "***"]
        spans.append((length + len(before), length + len(before) + len(secret)))
        secrets.append(secret)
        length += len(before) + len(secret)
    assert CLOSE not in rest and secrets, marked
    text.append(rest)
    masked.append(rest)
    return Dirty("".join(text), tuple(secrets), tuple(spans), "".join(masked))


_DIRTY_MARKED: list[str] = [
    # --- passwords in URLs -----------------------------------------------------------------------
    f"- 2025-12-14 00:24 MSK fixed .env: DATABASE_URL=postgresql+asyncpg://b2b_user:{s('Sup3rS3cret!')}@127.0.0.1:5432/b2b_platform",
    f"REDIS_URL=redis://:{s('r3d1sPass')}@cache.internal:6379/0",
    f"CELERY_BROKER_URL=amqp://guest:{s('guest')}@localhost:5672//",
    f'mongo "mongodb+srv://admin:{s("Xk9#mQ2vLp")}@cluster0.ab1cd.mongodb.net/?retryWrites=true&w=majority"',
    f"git clone https://ada:{ghp()}@github.com/org/repo.git",
    f"docker login https://deploy:{s('p@ss:w0rd')}@registry.example.com/v2/ failed with 401",
    f"mysql://root:{s('toor')}@db:3306/app",
    f"pytest uses TEST_DATABASE_URL=postgres://postgres:{s('postgres')}@localhost/test",
    f"sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) could not connect to postgresql://app:{s('h4ck3rman')}@10.0.0.5/app",
    f"pip install --index-url https://__token__:{s('pypi-AgEIcHlwaS5vcmc' + rand(40))}@upload.pypi.org/simple logbook-tui",
    f"HTTP_PROXY=http://proxyuser:{s('Pr0xy!2024')}@proxy.corp:3128",
    f"EMAIL_URL=smtp://mailer:{s('m41l3r-pw')}@smtp.example.com:587",
    f'{{"url": "postgresql://svc:{s("Zq8vN3xT")}@db.internal:5432/svc", "pool": 5}}',
    f"- connection string: `mssql+pyodbc://sa:{s('YourStrong!Passw0rd')}@localhost:1433/master?driver=ODBC+Driver+17`",
    f"redis.exceptions.AuthenticationError: invalid password for redis://default:{s('wr0ngPa55')}@redis:6379",
    f"celery -A app worker -b amqp://celery:{s('c3l3ry')}@rabbit:5672/vhost --loglevel=info",
    f"docker run -e DATABASE_URL=postgres://u:{s('pw123')}@db/app ghcr.io/org/app:1.4.2",
    f"2025-12-14 16:25 MSK alembic.ini sqlalchemy.url = postgresql://b2b_user:{s('b2b_pass_2025')}@127.0.0.1:5432/b2b_platform",
    f"git remote set-url origin https://x-access-token:{ghp('s')}@github.com/org/repo.git",
    f"ftp://backup:{s('Bk' + rand(10))}@ftp.example.org/pub/nightly.tar.gz",
    # --- AWS ------------------------------------------------------------------------------------
    f"aws configure set aws_access_key_id {akia()}",
    f"export AWS_ACCESS_KEY_ID={akia()}",
    f"export AWS_SECRET_ACCESS_KEY={aws_secret()}",
    f"aws_secret_access_key = {aws_secret()}",
    f"AWS_ACCESS_KEY_ID={akia('ASIA')} AWS_SESSION_TOKEN={s('IQoJb3JpZ2luX2VjE' + rand(60, _B64))}",
    f'{{"AccessKeyId": "{akia("ASIA")}", "SecretAccessKey": "{aws_secret()}", "SessionToken": "{s("FwoGZXIvYXdzE" + rand(48, _B64))}"}}',
    f"botocore.exceptions.ClientError: An error occurred (InvalidClientTokenId): The AWS Access Key Id {akia()} does not exist",
    f"~/.aws/credentials [default] aws_access_key_id = {akia()}",
    f"- 2025-12-15 10:02 MSK rotated the deploy user's key ({akia()}) after it showed up in CI logs",
    f"AWS_SECRET_ACCESS_KEY: {aws_secret()}",
    # --- GitHub ---------------------------------------------------------------------------------
    f'export GITHUB_TOKEN="{ghp()}"',
    f"gh auth login --with-token <<< {ghp()}",
    f"curl -H 'Authorization: token {ghp()}' https://api.github.com/user",
    f"GITHUB_TOKEN={github_pat()}",
    f'{{"token": "{ghp("o")}", "scope": "repo,gist"}}',
    f"remote: Invalid username or password. token was {ghp('u')} (expired)",
    f"refresh_token={ghp('r')}",
    f"- 2025-12-14 12:29 MSK pushed with HOMEBREW_GITHUB_API_TOKEN={ghp()} set in the shell",
    f"Error: GraphQL: Bad credentials ({github_pat()})",
    f"    password: {ghp()}",
    # --- GitLab ---------------------------------------------------------------------------------
    f"git clone https://oauth2:{glpat()}@gitlab.com/group/project.git",
    f"curl --header 'PRIVATE-TOKEN: {glpat()}' https://gitlab.example.com/api/v4/projects",
    f"export GITLAB_TOKEN={glpat()}",
    f'token = "{glpat("glrt")}"',
    f"deploy token {glpat('gldt')} added to the registry pull secret",
    f"- 2025-12-15 09:10 MSK CI failed: 401 Unauthorized with {glpat()} (token revoked)",
    # --- Slack ----------------------------------------------------------------------------------
    f"SLACK_BOT_TOKEN={xox('b')}",
    f'slack_client = WebClient(token="{xox("p")}")',
    f"xoxa token for the legacy app: {xox('a')}",
    f"curl -X POST -H 'Content-type: application/json' --data '{{\"text\":\"deploy done\"}}' {slack_hook()}",
    f"SLACK_WEBHOOK_URL={slack_hook()}",
    f"- 2025-12-15 11:40 MSK alerts go to {slack_hook()} (channel #ops)",
    f"slack refresh token {xox('r')} stored in the vault",
    f"legacy {xox('s')} token found in old settings.py",
    # --- OpenAI ---------------------------------------------------------------------------------
    f"OPENAI_API_KEY={openai('proj')}",
    f"export OPENAI_API_KEY='{openai()}'",
    f'client = OpenAI(api_key="{openai("proj")}")',
    f"openai.AuthenticationError: Error code: 401 - key {openai('svcacct')} is disabled",
    f"- 2025-12-15 12:00 MSK switched the summariser to {openai('proj')}; verified: python -m scripts.summarise -> ok",
    f"    llm_key: {openai()}",
    f'{{"openai": {{"key": "{openai()}"}}}}',
    # --- Anthropic ------------------------------------------------------------------------------
    f"ANTHROPIC_API_KEY={anthropic()}",
    f"curl https://api.anthropic.com/v1/messages -H 'x-api-key: {anthropic()}' -H 'anthropic-version: 2023-06-01'",
    f'client = anthropic.Anthropic(api_key="{anthropic()}")',
    f"- 2025-12-15 13:15 MSK new key {anthropic()} for the staging agent",
    f'export ANTHROPIC_API_KEY="{anthropic()}"',
    f"anthropic_key: {anthropic()}",
    # --- JWT ------------------------------------------------------------------------------------
    f'curl -H "Authorization: Bearer {jwt()}" http://localhost:8002/apiv1/auth/me',
    f'{{"access_token": "{jwt()}", "token_type": "bearer", "expires_in": 3600}}',
    f"refresh_token={jwt('refresh')}",
    f"Set-Cookie: session={jwt('session')}; HttpOnly; Path=/",
    f"GET /apiv1/auth/callback?jwt={jwt()}&state=xyz 302",
    f"ID_TOKEN: {jwt('id')}",
    f"- 2025-12-14 15:13 MSK verified /apiv1/auth/me with token {jwt()} -> 200",
    f"jwt.exceptions.ExpiredSignatureError: Signature has expired (token {jwt()})",
    # --- private keys ---------------------------------------------------------------------------
    pem("RSA PRIVATE KEY"),
    pem("OPENSSH PRIVATE KEY", 3),
    "ssh key for the deploy box:\n" + pem("EC PRIVATE KEY", 2) + "\n(do not reuse)",
    f'{{"type": "service_account", "private_key": "{pem("PRIVATE KEY", 3, newline=chr(92) + "n")}\\n", "client_email": "ci@proj.iam.gserviceaccount.com"}}',
    pem("ENCRYPTED PRIVATE KEY", 2),
    pem("PGP PRIVATE KEY BLOCK", 3),
    "pasted by mistake, truncated:\n-----BEGIN RSA PRIVATE KEY-----\n"
    + s(rand(64, _B64) + "\n" + rand(64, _B64)),
    "-----BEGIN PRIVATE KEY-----" + s(rand(64, _B64)) + "-----END PRIVATE KEY-----",
    # --- assignments: .env, shell, config --------------------------------------------------------
    f"SECRET_KEY={s('django-insecure-8f#k2' + rand(30))}",
    f"DB_PASSWORD={s('hunter2')}",
    f"API_KEY={s(rand(32))}",
    f"STRIPE_SECRET_KEY={s('sk_live_' + rand(24))}",
    f'export NPM_TOKEN="{s("npm_" + rand(36))}"',
    f"client_secret = '{s(rand(24))}'",
    f"mysql -u root --password={s('R00tPw!')} app < dump.sql",
    f"- 2025-12-13 22:55 MSK CREATE ROLE b2b_user WITH LOGIN PASSWORD '{s('b2b-Pa55')}'; verified with psql",
    f"ALTER USER postgres WITH PASSWORD '{s('n3wPostgres')}';",
    f"CREATE USER 'app'@'%' IDENTIFIED BY '{s('AppPw2025')}';",
    f"CREATE USER reporting WITH ENCRYPTED PASSWORD '{s('r3p0rt!ng')}';",
    f'{{"username": "ada", "password": "{s("L0velace!")}"}}',
    f'{{"api_key": "{s(rand(40))}", "region": "eu-west-1"}}',
    f'{{"client_id":"web","client_secret":"{s(rand(32))}"}}',
    f"  password: {s('S3cure!pw')}",
    f"    token: {s(rand(32))}  # rotated 2025-12",
    f'settings = Settings(db_password="{s("pg-" + rand(12))}")',
    f'$env:PGPASSWORD = "{s("Pg" + rand(10))}"',
    f"docker run -e POSTGRES_PASSWORD={s('devPw123')} -p 5432:5432 postgres:16",
    f"kubectl create secret generic db --from-literal=password={s('K8s' + rand(12))}",
    f"//registry.npmjs.org/:_authToken={s('npm_' + rand(36))}",
    f"X-API-Key: {s(rand(32))}",
    f"curl -H 'Authorization: Basic {s('YWRhOmxvdmVsYWNlMTIz')}' http://localhost:8000/apiv1/health",
    f"Authorization: Bearer {s(rand(40, _B64URL))}",
    f"spring.datasource.password={s('Spr1ng!' + rand(6))}",
    f'psql "host=db user=app password={s("psqlPw" + rand(6))} dbname=app"',
    f"Server=db;Database=app;User Id=app;Password={s('Mssql' + rand(8))};TrustServerCertificate=true",
    f"PGPASSWORD={s('pg' + rand(10))} psql -h 127.0.0.1 -U b2b_user -d b2b_platform -c '\\dt'",
    f'passphrase: "{s("correct horse battery staple")}"',
    f'webhook secret: "{s("whsec_" + rand(32))}"',
    f"WEBHOOK_SECRET: {s('whsec_' + rand(32))}",
    f'auth_token = "{s(rand(32, string.hexdigits[:16]))}"',
    f"TELEGRAM_BOT_TOKEN={s(_digits(10) + ':AAH' + rand(32))}",
    f"Password: {s('Tr0ub4dor&3')}",
    f'the seed script creates user "demo" with password "{s("demo")}"',
    f"openssl pkcs12 -export -out cert.p12 -passout pass:{s('exp0rtPw')}",
    f'log: {{\\"password\\": \\"{s("esc4ped!")}\\", \\"user\\": \\"ada\\"}}',
    f'api_key="{s(rand(32))}"',
    f'const apiKey = "{s(rand(32))}";',
    f"SECRET_KEY_BASE={s(rand(64, string.hexdigits[:16]))}",
    f"MINIO_ROOT_PASSWORD={s('minio' + rand(8))}",
    f"MINIO_ACCESS_KEY={s(rand(20, _UPPER_ALNUM))}",
    f"DB_PASSWORD: {s('hunter2')} — rotated after the leak",
    f"ELASTIC_PASSWORD={s('changeme')}",
    f"POSTGRES_PASSWORD={s('password')} DB_PASSWORD={s('s3cr3t')}",
    f"DB_USER=app DB_PASSWORD={s('x9' + rand(8))} REDIS_URL=redis://:{s('r' + rand(9))}@redis:6379/0",
    f"GET /reset-password?token={s(rand(32, _B64URL))}&email=ada%40example.com 200",
    f"connect(host='db', user='app', password='{s('c0nnect!')}')",
    f"- 2025-12-14 17:36 MSK DB aligned: DATABASEURL=postgresql+asyncpg://b2b_user:***@127.0.0.1:5432/b2b_platform, DB_PASSWORD={s('Fresh' + rand(8))} (new)",
    f"private_key: {s(rand(44, _B64))}",
    f"--token={s(rand(40))} --repo org/app",
    f"SENTRY_AUTH_TOKEN={s('sntrys_' + rand(40))}",
    f"pass: {s('Hx' + rand(10))}",
    f"DJANGO_SECRET_KEY='{s(rand(50, _ALNUM + '!@#%^&*(-_=+)'))}'",
    f"<server><id>nexus</id><username>ada</username><password>{s('Mvn!' + rand(8))}</password></server>",
    f"<apiKey>{s(rand(32))}</apiKey> in NuGet.config",
    f"DRIVER={{ODBC Driver 18 for SQL Server}};SERVER=db;UID=sa;PWD={s('Odbc!' + rand(6))};",
    f'{{"pwd": "{s("hunter22")}", "uid": "sa"}}',
    f"auth: {{ user: 'ada', pass: '{s('Nodemailer' + rand(4))}' }}",
    f"data:\n  password: {s('aHVudGVyMg==')}\n  username: YWRh",
    f'"headers": {{"Authorization": "Bearer {s(rand(36, _B64URL))}"}}',
    f'"password": "{s("Correct Horse Battery Staple")}"',
    f"Password for 'https://ada@github.com': {ghp()}",
    f"2025-12-15 15:20 MSK .env now has OPENAI_API_KEY={openai('proj')} and ANTHROPIC_API_KEY={anthropic()}",
    f"git push https://oauth2:{glpat()}@gitlab.example.com/group/app.git HEAD:main",
    f"export SLACK_TOKEN={xox('b')} SLACK_WEBHOOK={slack_hook()}",
    f'{{"aws_access_key_id": "{akia()}", "aws_secret_access_key": "{aws_secret()}"}}',
]

DIRTY: list[Dirty] = [unmark(line) for line in _DIRTY_MARKED]

# Every non-blank line of /work/shared/seeds/000_6ec33b1100cd4c9f.txt, byte for byte (mojibake and all).
_SEED_INCIDENTS: list[str] = [
    "# INCIDENTS.md",
    "## Rules (owned here)",
    "- Log problems/failures here (append-only).",
    "- Format: datetime MSK Р\xa0Р†Р\xa0вЂљРІР‚Сњ symptom Р\xa0Р†Р\xa0вЂљРІР‚Сњ root cause Р\xa0Р†Р\xa0вЂљРІР‚Сњ fix/mitigation Р\xa0Р†Р\xa0вЂљРІР‚Сњ verification.",
    "- 1Р\xa0Р†Р\xa0вЂљРІР‚Сљ3 lines per entry, no long stacktraces.",
    "## Entries (append-only)",
    "# INCIDENTS.md Р\xa0Р†Р\xa0вЂљРІР‚Сњ known issues / pitfalls (append-only)",
    "Rule:",
    "- Log important failures/incidents here.",
    "- Format: datetime MSK Р\xa0Р†Р\xa0вЂљРІР‚Сњ symptom Р\xa0Р†Р\xa0вЂљРІР‚Сњ root cause Р\xa0Р†Р\xa0вЂљРІР‚Сњ fix/mitigation Р\xa0Р†Р\xa0вЂљРІР‚Сњ verification.",
    "- 1Р\xa0Р†Р\xa0вЂљРІР‚Сљ3 lines per incident, no long stacktraces.",
    "## Entries (append-only)",
    '- 2025-12-13 23:49 MSK pytest on Windows failed with "Event loop is closed" when hitting Postgres via asyncpg in integration tests Р\xa0Р†Р\xa0вЂљРІР‚Сњ root cause: global SQLAlchemy async engine not disposed on app shutdown Р\xa0Р†Р\xa0вЂљРІР‚Сњ fix: FastAPI lifespan + `await engine.dispose()` in `app/main.py` Р\xa0Р†Р\xa0вЂљРІР‚Сњ verification: `python -m pytest -q` -> `2 passed`.',
    '- 2025-12-13 23:49 MSK pytest on Windows failed with "Event loop is closed" when hitting Postgres via asyncpg Р\xa0Р†Р\xa0вЂљРІР‚Сњ root cause: SQLAlchemy async engine created globally and not disposed on shutdown Р\xa0Р†Р\xa0вЂљРІР‚Сњ fix: FastAPI lifespan + await engine.dispose() Р\xa0Р†Р\xa0вЂљРІР‚Сњ verification: python -m pytest -q => 2 passed.',
    "- 2025-12-13 23:56 MSK RequestDetail implemented with suppliers=[] and normalizedtext=rawtext as placeholder Р\xa0Р†Р\xa0вЂљРІР‚Сњ mitigation: later add supplier matching + normalization Р\xa0Р†Р\xa0вЂљРІР‚Сњ verification: python -m pytest -q => 4 passed.",
    "- 2025-12-14 00:05 MSK FAILED Attachments implementation: pytest collection crashed due to SyntaxError in app/adapters/db/models.py (broken 'from sqlalchemy import' line after patch). Fix: restored import block and converted AttachmentModel to SQLAlchemy 2.0 style; verification: python -c 'from app.adapters.db.models import ...' -> models import ok.",
    "- 2025-12-14 00:05Р\xa0Р†Р\xa0вЂљРІР‚Сљ00:24 MSK INCIDENT: backend/alembic failed due to missing DATABASE_URL in .env and mismatch between expected DB user/db (b2buser/b2bplatform) and actual (b2b_user/b2b_platform); also migration 0dc050e5c206 was applied with empty upgrade(). Fix: wrote DATABASE_URL to .env, aligned DATABASE_URL to b2b_user/b2b_platform, created new migration bbff04c57403 to create attachments table. Verified with alembic current + psql \\dt.",
    "- 2025-12-14 00:35Р\xa0Р†Р\xa0вЂљРІР‚Сљ00:36 MSK INCIDENT: pytest failed with unexpected line: '\\\\ufeff[pytest]' because pytest.ini was written with UTF-8 BOM by PowerShell Set-Content; fix: rewrite pytest.ini as UTF-8 without BOM via .NET UTF8Encoding(false). Verified: pytest -q => 10 passed.",
    "- 2025-12-14 00:05Р\xa0Р†Р\xa0вЂљРІР‚Сљ00:24 MSK INCIDENT: DB/env mismatch and missing DATABASE_URL caused alembic/settings failures; actual role/db were b2b_user/b2b_platform. Fix: added DATABASE_URL to .env pointing to b2b_user/b2b_platform and created migration bbff04c57403 to add attachments table. Verified with alembic current + psql \\dt.",
    "- 2025-12-14 00:35Р\xa0Р†Р\xa0вЂљРІР‚Сљ00:36 MSK INCIDENT: pytest failed with unexpected line '\\ufeff[pytest]' because pytest.ini was written with UTF-8 BOM; fix: rewrite pytest.ini as UTF-8 without BOM via .NET UTF8Encoding(false). Verified: pytest -q => 10 passed.",
    "- 2025-12-14 00:35Р\xa0Р†Р\xa0вЂљРІР‚Сљ00:36 MSK INCIDENT: pytest.ini written with UTF-8 BOM caused pytest error (unexpected line '\\ufeff[pytest]'). Fix: rewrite pytest.ini UTF-8 without BOM via .NET UTF8Encoding(false). Verified: pytest -q => 10 passed.",
    "- 2025-12-14 0016 MSK INCIDENT <symptom>. Root cause: <root_cause>. Fix/mitigation: <fix>. Verification: <command> -> <expected>.",
    "- 2025-12-14 01:23 MSK INCIDENT <symptom> Root cause: <root_cause> Fix/mitigation: <fix_or_mitigation> Verification: <command> -> <expected>",
    "- 2025-12-14 01:35 MSK INCIDENT Attachments API contract mismatch (paths + response field casing) caused 404/KeyError in integration tests Р\xa0Р†Р\xa0вЂљРІР‚Сњ root cause: implementation/tests used '/api/v1/user/attachments' and camelCase DTO aliases (originalFilename), while SSoT requires '/api/v1/userattachments' and lowercase fields (originalfilename) Р\xa0Р†Р\xa0вЂљРІР‚Сњ fix: aligned router prefix to '/userattachments', replaced Attachment DTO aliases to match api-contracts.yaml, updated integration tests to contract paths/fields Р\xa0Р†Р\xa0вЂљРІР‚Сњ verification: .\\.venv\\Scripts\\pytest.exe -q -k attachments -> 2 passed.",
    "- 2025-12-14 10:13 MSK Р\xa0Р†Р\xa0вЂљРІР‚Сњ INCIDENT Р\xa0Р†Р\xa0вЂљРІР‚Сњ api-contracts.yaml patching failed: (1) script looked for .\\api-contracts.yaml from backend folder instead of repo root; (2) schemas insertion had broken indentation and made YAML invalid. Fix: rollback to .bak, reapply patcher v3 that inserts under '  schemas:' with correct indentation. Verification: python yaml.safe_load => OK; Select-String finds /user/blacklist/inn and '^  AddUserBlacklistInnRequest:'.",
    "- 2025-12-14 09:49 MSK Р\xa0С—РЎвЂ”Р\xa0вЂ¦ INCIDENT Р\xa0С—РЎвЂ”Р\xa0вЂ¦ UserMessaging recipients attempt broke backend imports/tests. Root cause: bad alembic revision header (invalid quotes) + wrong SQLAlchemy model style inserted into app/adapters/db/models.py (Column not imported / not 2.0 style) + bad escaping inserted into repositories.py docstring; consequence: alembic upgrade failed, pytest collection failed with ImportError. Fix: removed broken revision db107ba8e332, removed injected recipients model block from models.py, removed injected upsert_recipients block and stale RequestRecipientModel import from repositories.py; verified: .\\.venv\\Scripts\\pytest.exe -q -> 11 passed; python import RequestRepository -> ok.",
    " - 2025-12-14 10:20РІР‚вЂњ10:49 MSK РІР‚вЂќ INCIDENT: backend failed to start (main.py syntax/import errors + domain ports conflict + settings prefix mismatch; plus wrong URL checks). Root cause: text-based patching + Python module/package name collision (domain/ports.py vs domain/ports/) + inconsistent Settings field name/API_PREFIX usage. Fix: rewrite app/main.py to valid state, move UserBlacklist port to non-conflicting module, patch imports, use API_PREFIX=/api/v1 per api-contracts.yaml; verification: uvicorn starts; GET http://localhost:8000/api/v1/user/blacklist/inn -> 501; openapi.json contains /api/v1/user/blacklist/inn and /{inn}.",
    "- 2025-12-14 11:33 MSK INCIDENT Symptom: python -m pytest -q -> No module named pytest. Root cause: system Python used because venv not activated. Fix: cd D:\\b2bplatform\\backend; .\\.venv\\Scripts\\Activate.ps1. Verification: python -m pytest -q -> 11 passed.",
    "- 2025-12-14 12:29 MSK INCIDENT: Git commands failed with 'fatal: not a git repository' because no .git exists under D:\\b2bplatform. Root cause: project folder not under git (not cloned/initialized). Mitigation: decide (A) add proper remote and re-clone, or (B) git init locally and commit snapshot. Verification: Test-Path D:\\b2bplatform\\.git -> False; git status -> fatal.",
    "- 2025-12-14 12:41 MSK INCIDENT Uvicorn failed to bind on 0.0.0.0:8000 (WinError 10048).",
    "  Symptom: uvicorn app.main:app --port 8000 -> [Errno 10048] only one usage of socket address.",
    "  Root cause: Another process is already listening on TCP 8000.",
    "  Fix/Mitigation: Find PID on :8000 and stop it, or run uvicorn on a free port.",
    "  Verification: netstat shows :8000 free; uvicorn starts; then smoke endpoints respond (health/openapi/authpolicy).",
    "- 2025-12-14 14:01 MSK MSK INCIDENT: HandOff duplicate entry and wrong alembic migration filename (REPLACE_ME_*) created by PowerShell script misuse. Root cause: placeholder path not replaced; WriteAllText created a new file; Messaging MVP entry appended twice. Fix: removed REPLACE_ME migration file, rewrote correct de99d41dff72 migration, kept HANDOFF append-only and documented incident. Verification: alembic current shows de99d41dff72 applied; pg_tables contains user_blacklist_inn.",
    "- 2025-12-14 16:25 MSK: INCIDENT request_recipients inserts failed with NOT NULL violation (created_at/updated_at were NULL). Root cause: Alembic revision fbb98b9e9fc9 was created/applied with empty upgrade() (pass), so DB schema/defaults were not guaranteed; table/defaults were repaired manually to unblock. Fix: created request_recipients table via backend/tools/ensure_request_recipients_table.py, set DEFAULT now() + backfilled NULLs via backend/tools/fix_request_recipients_defaults.py, and added Alembic migration be4136aa1c68_request_recipients_defaults.py to make defaults/backfill repeatable. Verification: cd D:\\b2bplatform\\backend; alembic current -> be4136aa1c68 (head); python -m pytest -q -> 40 passed.- 2025-12-14 17:01 MSK INCIDENT: Port 8000 stuck on Windows (uvicorn bind fails with WinError 10048). Symptom: netstat/Get-NetTCPConnection shows LISTEN on 0.0.0.0:8000 with PID, but tasklist/taskkill cannot find PID (phantom), so port cannot be freed normally. Mitigation: run backend on port 8002; if 8000 required then run admin 'netsh winsock reset' + 'netsh int ip reset' and reboot. Verification: http://localhost:8002/docs -> 200; http://localhost:8002/apiv1/health -> status ok.",
    "- 2025-12-14 17:01 MSK INCIDENT: pytest from repo root failed with ModuleNotFoundError: no module named 'app'. Root cause: missing PYTHONPATH when running from D:\\b2bplatform. Fix: run tests from D:\\b2bplatform\\backend OR set $env:PYTHONPATH to backend path. Verification: cd D:\\b2bplatform\\backend; .\\.venv\\Scripts\\python.exe -m pytest -q -> 40 passed.",
]
# Every non-blank line of /work/shared/seeds/001_58b30f779ce54a54.txt, byte for byte (mojibake and all).
_SEED_HANDOFF: list[str] = [
    "## Logging rule (DoD)",
    "- Success -> HANDOFF.md (append-only, with verification command).",
    "- Failure -> INCIDENTS.md (append-only, with symptom/root cause/fix/verification).",
    "# HANDOFF Р\xa0Р†Р\xa0вЂљРІР‚Сњ B2B Platform (backend bootstrap)",
    "## 0) SSoT / Rules",
    "- SSoT API contract: `api-contracts.yaml` (OpenAPI). All endpoints/DTO must follow it. [api-contracts.yaml] [api-contracts.yaml]",
    "- Architecture is strict: `transport/` (FastAPI routes + DTO only) Р\xa0Р†РІР‚В\xa0РІР‚в„ў `usecases/` (business scenarios) Р\xa0Р†РІР‚В\xa0РІР‚в„ў `domain/` (pure models/rules) Р\xa0Р†РІР‚В\xa0РІР‚в„ў `adapters/` (DB/SMTP/etc). No FastAPI/SQLAlchemy in `domain`/`usecases`. [PROJECT-RULES.md]",
    "- Config only via env (`backend/.env`), no hardcode secrets. [PROJECT-RULES.md]",
    "## 1) Environment",
    "- OS: Windows 11",
    "- Repo root: `D:\\b2bplatform`",
    "- Backend root: `D:\\b2bplatform\\backend`",
    "- Python: 3.12",
    "- Postgres: 16 (service name: `postgresql-x64-16`)",
    "- API base URL (contract): `http://localhost:8000/api/v1` [api-contracts.yaml]",
    "## 2) Current status (works)",
    "### 2.1 Virtual env / deps",
    "- Created venv: `backend\\.venv`",
    "- Dependencies installed inside venv from `backend\\requirements.txt` (pip in venv)",
    "### 2.2 Backend scaffold",
    "- `backend/app/` package exists.",
    "- `backend/app/main.py` exports `app` for Uvicorn.",
    "- `backend/app/config.py` loads env vars from `.env` (pydantic-settings).",
    "- `backend/app/transport/routers/health.py` implemented.",
    "### 2.3 Verified DoD checks",
    "- Health endpoint:",
    '  - GET `http://localhost:8000/api/v1/health` Р\xa0Р†РІР‚В\xa0РІР‚в„ў 200 `{"status":"ok"}` [api-contracts.yaml]',
    "- Swagger UI:",
    "  - `http://localhost:8000/docs` opens",
    "- OpenAPI JSON:",
    "  - `http://localhost:8000/openapi.json` opens",
    "## 3) Runbook (how to start backend)",
    "From PowerShell:",
    "1) `cd D:\\b2bplatform\\backend`",
    "2) `.\\.venv\\Scripts\\activate`",
    "3) `uvicorn app.main:app --reload --host 0.0.0.0 --port 8000`",
    "Quick verify (PowerShell):",
    "- `Invoke-RestMethod http://localhost:8000/api/v1/health` Р\xa0Р†РІР‚В\xa0РІР‚в„ў `status = ok` [api-contracts.yaml]",
    "## 4) Database (reset to clean state)",
    "### 4.1 Current DATABASE_URL",
    "- `backend/.env` (DO NOT COMMIT):",
    "  - `DATABASE_URL=postgresql+asyncpg://b2b_user:***@127.0.0.1:5432/b2b_platform`",
    "- IMPORTANT: Use `127.0.0.1` (not `localhost`) on Windows to avoid IPv6/permission/socket issues observed earlier.",
    "### 4.2 DB was recreated from scratch (data not needed)",
    "Executed as postgres:",
    "- `DROP DATABASE IF EXISTS b2b_platform WITH (FORCE);`",
    "- `DROP ROLE IF EXISTS b2b_user;`",
    "- `CREATE ROLE b2b_user WITH LOGIN PASSWORD '***';`",
    "- `CREATE DATABASE b2b_platform OWNER b2b_user;`",
    "Then in DB `b2b_platform`:",
    "- `GRANT USAGE, CREATE ON SCHEMA public TO b2b_user;`",
    "- `GRANT CONNECT, TEMPORARY ON DATABASE b2b_platform TO b2b_user;`",
    "Result: DB is clean baseline.",
    "## 5) Alembic (migrations) Р\xa0Р†Р\xa0вЂљРІР‚Сњ final working state",
    "### 5.1 Windows note (critical)",
    "Before running any `alembic ...` command in PowerShell:",
    '- `$env:PYTHONPATH="."`',
    "Reason: Alembic env imports `app.*` from backend root.",
    "### 5.2 Issue that was fixed",
    '- `alembic revision -m "init"` failed with:',
    "  - `FileNotFoundError: alembic\\script.py.mako`",
    "Fix:",
    "- Created missing template file: `backend/alembic/script.py.mako`",
    "### 5.3 Baseline migration created and applied",
    "Commands:",
    '- `alembic revision -m "init"`',
    "  - created: `backend/alembic/versions/3315ed698ecb_init.py`",
    "- `alembic upgrade head`",
    "Verification:",
    "- In DB `b2b_platform`: `SELECT * FROM alembic_version;` returns `3315ed698ecb` (1 row).",
    "## 6) Next feature (default)",
    "Default next feature: implement first real CRUD from `UserRequests`:",
    "- `POST /user/requests` (CreateRequestManualRequest Р\xa0Р†РІР‚В\xa0РІР‚в„ў CreateRequestResponse) [api-contracts.yaml]",
    "- then `GET /user/requests` (list) [api-contracts.yaml]",
    "Implementation must follow layers and add tests (unit for domain/usecase first; integration later). [PROJECT-RULES.md]",
    "## 7) Known pitfalls / reminders",
    "- PowerShell `curl` is not Linux curl; prefer:",
    "  - `Invoke-RestMethod http://localhost:8000/api/v1/health`",
    "- psql meta-commands like `\\dt` work only inside psql prompt.",
    "- Do not commit: `backend/.venv`, `backend/.env`.",
    "## 8) Progress log (append-only)",
    "Rule:",
    "- After each successfully completed step/milestone, append ONE entry here:",
    "  - date/time (MSK)",
    "  - what changed (feature/files/migration)",
    "  - how verified (exact command + expected output)",
    "- If step failed, DO NOT add an entry.",
    "### Entries",
    '- 2025-12-13 22:40 MSK Р\xa0Р†Р\xa0вЂљРІР‚Сњ Verified API up: GET /api/v1/health -> 200 {"status":"ok"}; Swagger /docs and /openapi.json available. Verify: open URLs or `Invoke-RestMethod http://localhost:8000/api/v1/health`. ',
    "- 2025-12-13 22:55 MSK Р\xa0Р†Р\xa0вЂљРІР‚Сњ Reset Postgres clean: dropped/recreated DB b2b_platform and role b2b_user; switched DATABASE_URL to 127.0.0.1; granted schema public CREATE/USAGE to b2b_user. Verify: `psql -U b2b_user -h 127.0.0.1 -d b2b_platform` works; `\\dt` shows empty baseline before migrations.",
    "- 2025-12-13 23:00 MSK Р\xa0Р†Р\xa0вЂљРІР‚Сњ Fixed Alembic revision generation by adding `backend/alembic/script.py.mako`; created baseline migration `3315ed698ecb_init.py`; applied `alembic upgrade head`. Verify: `SELECT * FROM alembic_version;` -> 3315ed698ecb.",
    "2025-12-13 23:11 MSK Added DB schema for UserRequests drafts: created Alembic migration 552d97f8cc92_create_requests_and_keys_tables (tables requests, request_keys) and added SQLAlchemy ORM models RequestModel, RequestKeyModel in app/adapters/db/models.py. Verified: alembic current -> 552d97f8cc92 (head) and `python -c \"from app.adapters.db.models import RequestModel, RequestKeyModel; print('models ok')\" -> models ok. [file:8]",
    "2025-12-13 23:18 MSK Implemented DB adapter repository for UserRequests draft creation: added RequestRepository in app/adapters/db/repositories.py using AsyncSession and ORM models to insert into requests + request_keys and commit. Verified: `python -c \"from app.adapters.db.repositories import RequestRepository; print('repo ok')\" -> repo ok. [file:8]",
    "2025-12-13 23:19 MSK Added usecase for POST /user/requests: created app/usecases/create_request_manual.py with CreateRequestManualUseCase + KeyInput validation (non-empty keys, pos>=1, non-empty text) and repo call to create draft with status draft. Verified: `python -c \"from app.usecases.create_request_manual import CreateRequestManualUseCase, KeyInput; print('usecase ok')\" -> usecase ok. [file:1]",
    "2025-12-13 23:20 MSK Added transport DTOs for UserRequests manual create: created app/transport/schemas/requests.py with RequestKeyInputDTO, CreateRequestManualRequestDTO, CreateRequestResponseDTO. Verified: `python -c \"from app.transport.schemas.requests import CreateRequestManualRequestDTO, CreateRequestResponseDTO; print('dto ok')\" -> dto ok. [file:8]",
    "2025-12-13 23:21 MSK Fixed response DTO field name to match SSoT: renamed requestId -> requestid in CreateRequestResponseDTO (app/transport/schemas/requests.py). Verified: CreateRequestResponseDTO.model_fields.keys() contains requestid.",
    '2025-12-13 23:22 MSK Added POST /user/requests router: created app/transport/routers/requests.py with endpoint using AsyncSession dependency, CreateRequestManualUseCase, and returns CreateRequestResponseDTO (requestid, status="draft"). Verified: `python -c "from app.transport.routers.requests import router; print(\'router ok\')" -> router ok. [file:1]',
    "2025-12-13 23:24 MSK Wired POST /api/v1/user/requests into FastAPI app: included requests_router in app/main.py. Verified: Invoke-RestMethod http://localhost:8000/openapi.json contains path /api/v1/user/requests with post and schema CreateRequestResponseDTO includes requestid",
    '2025-12-13 23:25 MSK End-to-end POST /api/v1/user/requests works (manual keys): request created in DB and API returns 200 with success=true, requestid and status="draft". Verified via PowerShell Invoke-RestMethod -Method Post http://localhost:8000/api/v1/user/requests with JSON body (title + keys) -> response includes requestid: 1, status: draft.Р\xa0Р†Р\xa0вЂљРІР‚в„–',
    "2025-12-13 23:27 MSK Added minimal integration test for POST /api/v1/user/requests: created tests/integration/test_create_request_manual.py; installed test deps pytest and httpx for FastAPI/Starlette TestClient. Verified: python -m pytest -q -> 1 passed.",
    "2025-12-13 23:28 MSK Added test dependencies to requirements.txt: appended pytest==9.0.2 and httpx==0.28.1 to support integration tests. Verified by Get-Content requirements.txt showing both lines.",
    "2025-12-13 23:37 MSK Added domain port for clean architecture: created app/domain/ports.py with RequestRepositoryPort (Protocol) exposing create_draft(title, keys) -> int. Verified: `python -c \"from app.domain.ports import RequestRepositoryPort; print('ports ok')\" -> ports ok. [file:5]",
    "2025-12-13 23:39 MSK Refactored usecase to depend on domain port instead of adapters: updated app/usecases/create_request_manual.py to accept RequestRepositoryPort from app/domain/ports.py (no adapters imports). Verified: `python -c \"from app.usecases.create_request_manual import CreateRequestManualUseCase, KeyInput; print('usecase ok')\" -> usecase ok. [file:5]",
    "2025-12-13 23:40 MSK Refactored DB repository to implement domain port: updated app/adapters/db/repositories.py so RequestRepository implements RequestRepositoryPort and cleaned broken-encoding comment. Verified: `python -c \"from app.adapters.db.repositories import RequestRepository; print('repo ok')\" -> repo ok. [file:5]",
    "2025-12-13 23:40 MSK Confirmed refactor didnР\xa0Р†Р\xa0вЂљРІвЂћСћt break functionality: ran integration tests after moving usecase to domain port + updating repository; python -m pytest -q -> 1 passed.",
    "2025-12-13 23:43 MSK Extended RequestRepository with listing method: added list_requests(limit, offset) returning {items, total} from requests table (ordered by id desc). Verified: `python -c \"from app.adapters.db.repositories import RequestRepository; print('repo ok')\" -> repo ok. [file:5]",
    "2025-12-13 23:43 MSK Extended RequestRepository with listing method: added list_requests(limit, offset) returning {items, total} from requests table (ordered by id desc). Verified: `python -c \"from app.adapters.db.repositories import RequestRepository; print('repo ok')\" -> repo ok. [file:5]",
    "2025-12-13 23:44 MSK Implemented GET /api/v1/user/requests: updated app/transport/routers/requests.py to add list endpoint with limit/offset query params and RequestListResponseDTO response. Verified: `python -c \"from app.transport.routers.requests import router; print('router ok')\" -> router ok. [file:1]",
    '2025-12-13 23:45 MSK Verified GET /api/v1/user/requests works end-to-end: Invoke-RestMethod "http://localhost:8000/api/v1/user/requests?limit=50&offset=0" returned items array with existing draft requests.',
    "2025-12-13 23:49 MSK Fixed Windows pytest Р\xa0Р†Р\xa0вЂљРЎС™Event loop is closedР\xa0Р†Р\xa0вЂљРЎСљ for asyncpg/SQLAlchemy: added FastAPI lifespan in app/main.py to dispose SQLAlchemy async engine on shutdown; updated integration tests to use with TestClient(app); verified python -m pytest -q -> 2 passed",
    '- 2025-12-13 23:49 MSK Fixed pytest Windows "Event loop is closed": added FastAPI lifespan in app/main.py to dispose SQLAlchemy async engine on shutdown; tests pass (python -m pytest -q => 2 passed).',
    "- 2025-12-13 23:56 MSK Implemented GET /api/v1/user/requests/{requestId} (RequestDetail) + integration test; verified: python -m pytest -q.",
    "- If step failed: log it in INCIDENTS.md (rules live there).",
    "- 2025-12-13 23:58 MSK Normalized HANDOFF.md (removed duplicate entries/rules); moved failure-logging rules to INCIDENTS.md; verified by inspecting HANDOFF tail + backup file created.",
    "- 2025-12-14 00:00 MSK Implemented PUT /api/v1/user/requests/{requestId}/keys (UpdateRequestKeysRequest -> RequestDetail) + integration tests; verified: python -m pytest -q -> 6 passed.",
    "- 2025-12-14 00:01 MSK Implemented POST /api/v1/user/requests/{requestId}/submit (SubmitRequestResponse) + integration tests; verified: python -m pytest -q.",
    '- 2025-12-14 00:26 MSK DB: created attachments table via alembic revision bbff04c57403_create_attachments_table.py (previous 0dc050e5c206 was empty). Verified: psql -h 127.0.0.1 -U b2b_user -d b2b_platform -c "\\dt" shows public.attachments.',
    "- 2025-12-14 00:36 MSK Tests: fixed pytest.ini encoding (removed UTF-8 BOM) so pytest loads config; verified: .\\.venv\\Scripts\\pytest.exe -q => 10 passed.",
    "- 2025-12-14 00:36 MSK Tests: added pytest.ini (UTF-8 without BOM) for stable pytest import paths. Verified: .\\.venv\\Scripts\\pytest.exe -q => 10 passed.",
    "- 2025-12-14 00:43 MSK API: Attachments routes are wired and visible in Swagger under /api/v1/user/attachments*. Verified: http://localhost:8000/docs shows Attachments endpoints.",
    "- 2025-12-14 0016 MSK Fixed Attachments router args to match usecase signatures (original_filename/content_type, attachment_id) and storage base_dir. Verified .\\.venv\\Scripts\\pytest.exe -q tests\\integration\\test_attachments_contract_camelcase.py -> 1 passed.",
    "- 2025-12-14 01:23 MSK Fixed Attachments router args to match usecase signatures (original_filename/content_type, attachment_id) and storage base_dir. Verified .\\.venv\\Scripts\\pytest.exe -q tests\\integration\\test_attachments_contract_camelcase.py -> 1 passed.",
    "- 2025-12-14 01:35 MSK Aligned Attachments endpoints and DTOs to SSoT (api-contracts.yaml): routes use /api/v1/userattachments, response fields use lowercase (originalfilename/contenttype/sizebytes/etc), updated attachments integration tests accordingly. Verified .\\.venv\\Scripts\\pytest.exe -q -k attachments -> 2 passed.",
    "- 2025-12-14 10:13 MSK Р\xa0Р†Р\xa0вЂљРІР‚Сњ API contract updated (SSoT): added user personal blacklist by INN endpoints (/user/blacklist/inn GET/POST, /user/blacklist/inn/{inn} DELETE) and schemas AddUserBlacklistInnRequest, UserBlacklistInnListResponse (snake_case). Verified: YAML parsed via python yaml.safe_load => OK; Select-String confirms path + schema.",
    "- 2025-12-14 09:49 MSK Р\xa0С—РЎвЂ”Р\xa0вЂ¦ Restored green test suite after recipients experiment (rollback broken alembic revision + fix repositories imports). Verify: .\\.venv\\Scripts\\pytest.exe -q -> 11 passed; .\\.venv\\Scripts\\python.exe -c \"from app.adapters.db.repositories import RequestRepository; print('ok')\" -> ok.",
    "- 2025-12-14 09:57 MSK Р\xa0С—РЎвЂ”Р\xa0вЂ¦ Decision Р\xa0С—РЎвЂ”Р\xa0вЂ¦ UserMessaging recipients: PUT /user/requests/{requestId}/recipients uses replace-all semantics (server state mirrors UI checkboxes). Decision: when a domain is added to Blacklist, related suppliers must be automatically unselected (selected=false) across ALL requests to prevent sending. Verify (agreed): implement in Blacklist usecase + re-check in send usecase.",
    "- 2025-12-14 10:08 MSK Р\xa0С—РЎвЂ”Р\xa0вЂ¦ Decision Р\xa0С—РЎвЂ”Р\xa0вЂ¦ New API schemas use snake_case (inn, supplier_id, created_at). User blacklist is personal and keyed by INN (UI shows company name + checko_data when available). Moderator blacklist stays global by domain (/moderator/blacklist/domains). Recipients PUT is replace-all; blacklist actions auto-unselect recipients accordingly.",
    " - 2025-12-14 10:49 MSK РІР‚вЂќ Blacklist(User) routes wired: /api/v1/user/blacklist/inn (GET/POST) and /api/v1/user/blacklist/inn/{inn} (DELETE) are present in openapi.json; GET returns 501 Not Implemented. Verify: \try { Invoke-RestMethod -Method Get http://localhost:8000/api/v1/user/blacklist/inn } catch { $_.Exception.Response.StatusCode.value__ } -> 501; and (Invoke-RestMethod http://localhost:8000/openapi.json).paths... | Select-String '/api/v1/user/blacklist/inn' shows both paths.",
    "- 2025-12-14 11:33 MSK Fixed local test run: pytest failed outside venv; activated backend venv and tests pass. Verify: cd D:\\b2bplatform\\backend; .\\.venv\\Scripts\\Activate.ps1; python -m pytest -q -> 11 passed.",
    "- 2025-12-14 12:29 MSK: Chat log recovery. Verified backend tests are green: D:\\b2bplatform\\backend\\.venv\\Scripts\\python.exe -m pytest -q -> 38 passed. Also fixed PowerShell HANDOFF append string to use ${dt} to avoid ': variable' parsing error.",
    "- 2025-12-14 12:40 MSK Process note: HANDOFF.md and INCIDENTS.md are stored at project root (D:\\b2bplatform\\\\HANDOFF.md and D:\\b2bplatform\\\\INCIDENTS.md). All future log appends must target root files, not backend folder. Verified by user confirmation in chat.",
    "- 2025-12-14 12:47 MSK Smoke OK on http://127.0.0.1:8001. Verified: GET /apiv1/health=200 status=ok; GET /openapi.json=200; PUT /apiv1/auth/policy=401 (no token, endpoint exists). Uvicorn kept running on port 8001.",
    "- 2025-12-14 12:48 MSK Backend reachable on default port 8000; smoke OK: GET /apiv1/health=200 status=ok; GET /openapi.json=200; PUT /apiv1/auth/policy=401 Unauthorized without token (endpoint exists). Verified via Invoke-RestMethod.",
    "- 2025-12-14 13:50 MSK Messaging MVP: confirmed endpoints return 501 Not Implemented and added integration tests backend/tests/integration/test_messaging_not_implemented.py. Verified: cd D:\\b2bplatform\\backend; . .\\.venv\\Scripts\\Activate.ps1; $env:PYTHONPATH='.'; python -m pytest -q -k messaging_not_implemented -> 4 passed.",
    "- 2025-12-14 13:58 MSK Messaging MVP: confirmed 501 Not Implemented for send/send-new/messages/delete and added integration test backend/tests/integration/test_messaging_not_implemented.py. Verified: cd D:\\b2bplatform\\backend; . .\\.venv\\Scripts\\Activate.ps1; $env:PYTHONPATH='.'; python -m pytest -q -k messaging_not_implemented -> 4 passed.",
    "- 2025-12-14 13:59 MSK Auth OTP core: added alembic migration a291dc92b69a (users, otp_codes) with idempotent upgrade, created auth OTP usecases + JwtService skeleton, added unit tests tests/unit/test_auth_otp_usecases.py. Verified: cd D:\\b2bplatform\\backend; . .\\.venv\\Scripts\\Activate.ps1; $env:PYTHONPATH='.'; alembic current -> a291dc92b69a (head); python -m pytest -q -k 'auth_otp_usecases or messaging_not_implemented' -> 6 passed.",
    "- 2025-12-14 15:13 MSK Contract test fixed: OpenAPI no longer exposes /apiv1/user/blacklist/inn* extra paths; Auth integration tests now pass for /apiv1/auth/me, /apiv1/auth/policy, /apiv1/auth/oauth/google/*. Verified: python -m pytest -q tests/contract/test_openapi_paths_match_contract.py tests/integration/test_auth_me.py tests/integration/test_auth_policy.py tests/integration/test_auth_policy_persist.py tests/integration/test_auth_oauth_google.py -q => PASS.",
    "- 2025-12-14 15:15 MSK Contract compliance: hid non-SSoT auth endpoints (/apiv1/auth/policy and /apiv1/auth/oauth/google/*) from OpenAPI via include_in_schema=False in app/transport/routers/auth.py, while keeping integration behavior unchanged. Verified: python -m pytest -q => all passed.",
    "- 2025-12-14 16:25 MSK: Implemented UserMessaging recipients replace-all. Changes: api-contracts.yaml updated schemas UpdateRecipientsRequest + RecipientsResponse and PUT /apiv1/userrequests/{requestId}/recipients now returns 200 RecipientsResponse; backend implemented transport DTOs (app/transport/schemas/user_messaging.py), router PUT recipients (app/transport/routers/user_messaging.py), usecase (app/usecases/update_request_recipients.py), DB repo method replace_recipients (app/adapters/db/repositories.py), ORM model RequestRecipientModel fixes (app/adapters/db/models.py), and added integration test tests/integration/test_recipients_replace_all.py. DB: applied Alembic head be4136aa1c68. Verification: cd D:\\b2bplatform\\backend; python -m pytest -q -> 40 passed.- 2025-12-14 17:00 MSK Ran backend on port 8002 due to stuck 8000 listener; verified GET http://localhost:8002/docs = 200 and GET http://localhost:8002/apiv1/health returns status ok; tests green when run from backend folder: cd D:\\b2bplatform\\backend; .\\.venv\\Scripts\\python.exe -m pytest -q => 40 passed.",
    "- 2025-12-14 17:25 MSK User blacklist by INN: added contract paths/schemas and enabled backend endpoints GET/POST/DELETE /apiv1/user/blacklist-inn. Verified: Invoke-RestMethod GET returned total=1 after POST and DELETE returned success=true on port 8002.",
    "- 2025-12-14 17:25 MSK User blacklist by INN: added contract paths/schemas and enabled backend endpoints GET/POST/DELETE /apiv1/user/blacklist-inn. Verified: Invoke-RestMethod GET returned total=1 after POST and DELETE returned success=true on port 8002.",
    "- 2025-12-14 17:36 MSK DB aligned: using role b2b_user and database b2b_platform; set DATABASEURL in backend\\\\.env. Verified: GET /apiv1/health = ok, GET /apiv1/user/blacklist-inn returns total=1.",
    "## 2025-12-15 00:06:35 MSK",
    "- What: Removed backup/tmp files and rewrote update_project_tree.ps1 to filter junk reliably",
    "- Why: Avoid repo clutter and keep PROJECT-TREE.txt useful for new chats",
    "- Verify: Select-String PROJECT-TREE.txt -Pattern '\\.bak|\\.tmp|~$' -Quiet",
    "- Expected: False (no junk entries); PROJECT-TREE.txt regenerated",
    "- Now: Repo hygiene is fixed; ready to pick next endpoint",
    "- Next: Pick next endpoint from api-contracts.yaml and implement first slice",
    "## 2025-12-15 00:09:24 MSK",
    "- What: Removed *.bak* artifacts and fixed update_project_tree.ps1 syntax; regenerated clean PROJECT-TREE.txt",
    "- Why: Keep repo clean and tree reliable for new chats",
    "- Verify: Select-String PROJECT-TREE.txt -Pattern '\\.bak|\\.tmp|~$' -Quiet",
    "- Expected: False",
    "- Now: Repo hygiene complete; ready for next feature",
    "- Next: Pick next endpoint from api-contracts.yaml and implement first slice",
]

_CLEAN_WRITTEN: list[str] = [
    # --- hashes, ids, digests -------------------------------------------------------------------
    "be4136aa1c68 request_recipients defaults (alembic head)",
    "alembic upgrade head: Running upgrade fbb98b9e9fc9 -> be4136aa1c68, request_recipients defaults",
    "commit 3f2a9c1e0b7d4e21a8f6c5b4d3e2f1a0b9c8d7e6",
    "Merge: 81f326d c36e01e",
    "git cherry-pick 7b5fb11 34dd196 0f6187c",
    "git revert --no-edit 9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d",
    "HEAD is now at 81f326d TUI: list, detail, forms, drafts, search, palette, help, snapshots",
    "sha256sum dist/logbook_tui-0.1.0.tar.gz -> 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "request_id=123e4567-e89b-12d3-a456-426614174000 status=draft",
    "GET /apiv1/user/requests/6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b -> 404",
    "docker pull python@sha256:2f1b7e4c9a8d6e5f4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918070f6e5",
    "FROM python:3.12-slim@sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
    'ETag: "33a64df551425fcc55e4d42a148795d9f25f89d4"',
    "npm notice integrity: sha512-Xh9Zf0q1mW2pLr8Kc3vT5nB7yJ4uE6iO0aS9dF1gH2jK3lZ4xC5vB6nM7qW8eR9tY0uI1oP2aS3dF4gH5jK6lA==",
    "pip hash: --hash=sha256:5c2fa1b3e8d94f0a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c",
    'the fixture payload is aGVsbG8gd29ybGQ= (just "hello world" in base64)',
    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==",
    "avatar stored as data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
    'JWT header is eyJhbGciOiJIUzI1NiJ9 (base64 of {"alg":"HS256"}), the rest is redacted',
    "nonce: 7f3a9c in the OTP table is fine to log, it is not the code",
    "ULID 01HZX3K8Q5V2N7M4R6T9W1Y0AB assigned to the import batch",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ada@laptop",
    "-----BEGIN PUBLIC KEY-----",
    "-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE----- (the CA bundle, public)",
    "fingerprint SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s (ED25519)",
    "arn:aws:iam::123456789012:role/deploy assumed via OIDC, no long-lived keys",
    "AROAXYZ1234567890ABCD is the role id, not a key",
    "ami-0c55b159cbfafe1f0 in eu-central-1",
    "image digest mismatch: expected 4f3c2b1a, got 9e8d7c6b",
    # --- paths ----------------------------------------------------------------------------------
    "C:\\Users\\ada\\AppData\\Local\\logbook\\token_cache.json was 0 bytes",
    "D:\\b2bplatform\\backend\\.venv\\Scripts\\python.exe -m pytest -q -> 40 passed",
    "/home/ada/.config/gh/hosts.yml holds the gh login (not copied here)",
    "/etc/ssl/private/server.key is mode 0600, owned by root",
    "ls ~/.ssh/id_ed25519.pub ~/.ssh/known_hosts",
    "app/auth/password_reset.py:42: in reset_password",
    "src/secrets/manager.ts and src/secrets/manager.test.ts",
    "backend/app/usecases/auth_otp.py",
    "/run/secrets/db_password is mounted by compose",
    "GIT_ASKPASS=/usr/lib/git-core/git-gui--askpass",
    "SSH_AUTH_SOCK=/tmp/ssh-XXXXabc123/agent.4242",
    "PWD=/home/ada/projects/logbook",
    "OLDPWD=/home/ada",
    "\\\\fileserver\\share\\tokens\\README.txt",
    # --- URLs without passwords -----------------------------------------------------------------
    "https://github.com/org/repo/pull/42",
    "git clone https://ada@github.com/org/repo.git",
    "ssh://git@github.com:22/org/repo.git",
    "git@github.com:org/repo.git",
    "http://localhost:8000/api/v1/auth/token returns 405 on GET",
    "https://example.com/reset-password?step=2&lang=en",
    "psql postgresql://b2b_user@127.0.0.1:5432/b2b_platform",
    "curl http://[::1]:8080/health",
    "https://docs.python.org/3/library/secrets.html#secrets.token_hex",
    "configure a webhook under hooks.slack.com/services in the Slack app settings",
    "REDIS_URL=redis://cache:6379/0",
    "mongodb://db1:27017,db2:27017/app?replicaSet=rs0",
    "jdbc:postgresql://db:5432/app?sslmode=require",
    "https://user@host.example.com:8443/path?x=1",
    "http://localhost:8002/docs -> 200",
    "DATABASE_URL=postgresql+asyncpg://b2b_user:***@127.0.0.1:5432/b2b_platform",
    "DATABASE_URL=postgresql://${DB_USER}:${DB_PASSWORD}@db:5432/app",
    "AMQP_URL=amqp://guest:<password>@localhost:5672//",
    "https://gitlab.com/-/user_settings/personal_access_tokens",
    "https://platform.openai.com/api-keys",
    "https://console.anthropic.com/settings/keys",
    "https://jwt.io/#debugger-io",
    # --- people and hosts -----------------------------------------------------------------------
    "ssh ada@10.0.0.5 -p 2222",
    "scp build.tar.gz deploy@web-01:/srv/app/",
    "git config user.email ada@example.com",
    "Signed-off-by: Ada Lovelace <ada@example.com>",
    "mailto:support@example.com",
    "Co-authored-by: Charles Babbage <charles@example.org>",
    # --- versions, dates, ports ------------------------------------------------------------------
    "platform linux -- Python 3.12.1, pytest-8.3.4, pluggy-1.5.0",
    "INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)",
    "Node v20.11.1 / npm 10.2.4",
    "2025-12-14T17:25:03+03:00",
    "ports 8000-8002 are ours",
    "textual==1.0.0 sqlmodel==0.0.22 pydantic==2.10.3",
    "tcp        0      0 0.0.0.0:8000            0.0.0.0:*               LISTEN      4242/python",
    # --- docs and prose about tokens and passwords ----------------------------------------------
    'POST /api/v1/auth/token returns {"access_token": "<jwt>", "token_type": "bearer"}',
    "The password must be at least 12 characters long.",
    "Tokens expire after 15 minutes; refresh with POST /auth/refresh.",
    "Set the GITHUB_TOKEN secret in the repository settings, then re-run the workflow.",
    'password: see 1Password vault "b2b / staging"',
    "token: expired, regenerated in the GitLab UI",
    "Auth: works again after the clock skew fix",
    "Password reset emails are sent by the notifications worker.",
    "| token | string | required | the API token from /auth/token |",
    "- **Password policy:** 12+ characters, rotated every 90 days",
    "## Secrets",
    "* `SECRET_KEY` — Django signing key, read from the environment",
    "env: DB_PASSWORD is read from backend/.env (never committed)",
    "the password was wrong",
    "reset the token cache and retry",
    "Tokens, passwords and API keys never go into HANDOFF.md; write `***` instead.",
    "> **Note:** the token is shown only once, copy it now.",
    "Rotate the leaked key: revoke in the console, then update PASSWORD in the vault.",
    "Password123 is in the breached-passwords list; rejected by the validator",
    "- Use `secrets.token_urlsafe(32)` to generate SECRET_KEY values.",
    "the private key lives in ~/.ssh/id_ed25519, never paste it here",
    "Bearer tokens are checked by the gateway, not by the app",
    "Authorization: Basic authentication is disabled in production",
    "Authorization: Bearer <token>",
    "Secret: none needed for the health endpoint",
    "auth: oauth2",
    "token budget: 4k per request",
    "Tokens: 1,234 prompt + 567 completion",
    "The API key is passed in the X-API-Key header.",
    "Password: reset",
    "Token: missing",
    "password: str",
    "OpenAI returned 401: Incorrect API key provided: sk-proj-********************abcd.",
    "pip install scikit-learn; sk-learn-style estimators are fine",
    "model: gpt-4o-mini, max_tokens: 512",
    "posted to #deploys via the Slack app (bot scope chat:write)",
    "Slack tokens start with xoxb- for bots and xoxp- for users",
    "GitHub tokens look like ghp_... and GitLab ones like glpat-...",
    "AWS keys start with AKIA (long-lived) or ASIA (temporary)",
    "the pem file starts with -----BEGIN RSA PRIVATE KEY----- and must stay in the vault",
    "tokenizer: cl100k_base",
    "feat(secrets): mask credentials before mirroring",
    'commit message: "fix(auth): refresh token before expiry"',
    "Decision: passwords are hashed with argon2id; tokens are random 32-byte values",
    "password_hash column is NOT NULL; backfilled before the migration",
    "Note: the auth middleware reads the token from the cookie when the header is absent",
    "passwordless login via magic link is out of scope for the MVP",
    "Forgot password? flow returns 202 even for unknown emails",
    # --- code that refers to secrets without holding them ---------------------------------------
    "DB_PASSWORD=${DB_PASSWORD}",
    'export GITHUB_TOKEN="$(gh auth token)"',
    "token: ${{ secrets.GITHUB_TOKEN }}",
    "          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
    'password = os.environ["DB_PASSWORD"]',
    "api_key = settings.OPENAI_API_KEY",
    'token = request.headers.get("Authorization")',
    "def verify_password(plain_password: str, hashed_password: str) -> bool:",
    "password: Mapped[str] = mapped_column(String(255))",
    "access_token: str | None = None",
    "secret_key: SecretStr",
    'PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]',
    "AUTH_PASSWORD_VALIDATORS = []",
    'AUTH_USER_MODEL = "accounts.User"',
    "TOKEN_EXPIRE_MINUTES=30",
    "ACCESS_TOKEN_TTL: 900",
    "max_tokens=4096",
    "password=None",
    "auth=None",
    "token = token.strip()",
    "connect(user=user, password=password)",
    '"password": "",',
    '"password": null,',
    '"password": "***",',
    '"api_key": "<your-api-key>"',
    "OPENAI_API_KEY=your-api-key-here",
    "API_KEY=xxxxxxxxxxxxxxxx",
    'jwt.decode(token, key, algorithms=["HS256"])',
    'print(f"token: {token[:4]}...")',
    'logger.info("password=%s", "***")',
    '"password={}".format(masked)',
    'getpass.getpass("Password: ") or os.environ.get("PW")',
    "$password = Read-Host -AsSecureString",
    "$cred = Get-Credential",
    "ConvertTo-SecureString -String $plain -AsPlainText -Force",
    'New-Object System.Management.Automation.PSCredential ("ada", $securePassword)',
    "secret_name: b2b-db-credentials",
    "token_url: https://oauth2.googleapis.com/token",
    "password_file: /run/secrets/db_password",
    "auth_method: scram-sha-256",
    "host    all    all    127.0.0.1/32    scram-sha-256",
    "--auth-type=oauth2",
    "docker run --rm -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16",
    "kubectl get secret db-credentials -o jsonpath='{.data.password}' | base64 -d > /dev/null",
    "kubectl create secret generic app-env --from-env-file=.env",
    "vault kv get secret/b2b/staging",
    "aws secretsmanager get-secret-value --secret-id prod/db",
    'echo "$CR_PAT" | docker login ghcr.io -u ada --password-stdin',
    'curl -H "Authorization: Bearer $TOKEN" https://api.github.com/user',
    'curl -H "Authorization: token ${GITHUB_TOKEN}" https://api.github.com/user',
    "-H 'PRIVATE-TOKEN: <your_access_token>'",
    "X-Auth-Token: <redacted>",
    "X-CSRF-Token: missing",
    '"token_type": "bearer", "expires_in": 3600',
    'SECRET_KEY: "${SECRET_KEY}"',
    "password: !vault |",
    "token: |",
    'api_key = get_secret("openai")',
    "password = getpass()",
    "AUTH_TOKEN_EXPIRY=3600",
    "use_token: true",
    "has_password: false",
    "require_auth = True",
    '"password": {"type": "string", "minLength": 12}',
    '{"password": "This field is required."}',
    '{"detail": [{"loc": ["body", "password"], "msg": "field required"}]}',
    "input_value={}, input_type=dict",
    # --- tracebacks and test output -------------------------------------------------------------
    'File "/app/app/usecases/auth_otp.py", line 57, in verify_code',
    '    raise InvalidTokenError("Signature has expired")',
    "jwt.exceptions.ExpiredSignatureError: Signature has expired",
    "pydantic_core._pydantic_core.ValidationError: 1 validation error for Settings",
    "SECRET_KEY",
    "  Field required [type=missing, input_value={}, input_type=dict]",
    "FAILED tests/integration/test_auth_me.py::test_me_requires_token - assert 401 == 200",
    "E   KeyError: 'access_token'",
    "TypeError: login() missing 1 required positional argument: 'password'",
    'sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) FATAL:  password authentication failed for user "b2b_user"',
    'asyncpg.exceptions.InvalidPasswordError: password authentication failed for user "b2b_user"',
    "remote: Support for password authentication was removed on August 13, 2021.",
    "ada@10.0.0.5: Permission denied (publickey,password).",
    "Enter passphrase for key '/home/ada/.ssh/id_ed25519':",
    "sudo: a password is required",
    "[sudo] password for ada:",
    "Password:",
    "mysql: [Warning] Using a password on the command line interface can be insecure.",
    "WARNING! Using --password via the CLI is insecure. Use --password-stdin.",
    "tests/unit/test_auth_otp_usecases.py ..                                  [100%]",
    "===== 40 passed, 2 warnings in 3.21s =====",
    "PASSED tests/integration/test_auth_policy.py::test_policy_requires_token",
    "tests/storage/test_secrets.py::test_masks[github-token] PASSED",
    "tests/storage/test_secrets.py::test_clean[password: see 1Password vault] PASSED",
    "botocore.exceptions.NoCredentialsError: Unable to locate credentials",
    "openai.AuthenticationError: Error code: 401 - {'error': {'message': 'Incorrect API key provided', 'code': 'invalid_api_key'}}",
    "anthropic.AuthenticationError: 401 {'type': 'error', 'error': {'type': 'authentication_error', 'message': 'invalid x-api-key'}}",
    'github.GithubException.BadCredentialsException: 401 {"message": "Bad credentials"}',
    "E       AssertionError: assert 'token' in {'detail': 'Not authenticated'}",
    '  File "/usr/lib/python3.12/secrets.py", line 48, in token_hex',
    "ModuleNotFoundError: No module named 'app'",
    "[Errno 10048] only one usage of each socket address is normally permitted",
    # --- shell and ops -------------------------------------------------------------------------
    '$env:PYTHONPATH="."',
    "cd D:\\b2bplatform\\backend; .\\.venv\\Scripts\\Activate.ps1",
    "Invoke-RestMethod -Method Post http://localhost:8000/api/v1/user/requests -ContentType 'application/json'",
    "netsh winsock reset; netsh int ip reset",
    "docker compose up -d db redis",
    "image: python:3.12-slim",
    '      - "8000:8000"',
    "uvicorn app.main:app --reload --host 0.0.0.0 --port 8002",
    "git log --pretty=format:%H -n 5",
    "git push --force-with-lease origin feature/secrets-masking",
    "gh pr create --title 'Mask secrets before mirroring' --body-file pr.md",
    "npm config get registry",
    "export HISTCONTROL=ignorespace",
    'ssh-keygen -t ed25519 -C "ada@example.com" -f ~/.ssh/id_ed25519',
    "gpg --passphrase-file ~/.gnupg/pass.txt --batch -d backup.gpg > /dev/null",
    "openssl rand -hex 32 > .secret_key  # generated on the server, never printed",
    "set -euo pipefail",
    "terraform plan: aws_iam_access_key.deploy.secret (sensitive value)",
    "helm upgrade app ./chart --set image.tag=1.4.2 --set auth.enabled=true",
    "LOGBOOK_TZ=Europe/Moscow logbook list --kind incident --limit 20",
    "- 2025-12-15 14:00 MSK — [SEV2, resolved] login failed: token expired — root cause: clock skew — fix: NTP — verification: `pytest -q -k auth` -> 6 passed",
    "- 2025-12-15 14:05 MSK Decision — secrets are masked as *** before anything reaches HANDOFF.md",
    "| kind | example | masked as |",
    "|---|---|---|",
    "| URL | postgresql://user:***@host/db | the password only |",
    "Moved CI secrets to the GitHub environment 'production'; no tokens in the workflow file.",
    "Password rotation is quarterly; next one on 2026-03-01.",
    'Verified: curl -s http://localhost:8002/apiv1/health -> {"status":"ok"}',
    # --- pasted code and docs that mention secrets (found by scanning the venv's sources) --------
    "Token: https://gitlab.com/-/profile/personal_access_tokens",
    "password: ~/.pgpass (mode 0600)",
    "token: /run/secrets/token",
    "self.password = password",
    "self.user, self.password = user, password",
    "token += nextchar",
    "first_token = prev",
    "def prompt(message: str, password: FilterOrBool = False) -> str:",
    "end_token: Token  # Token at which this Node ends.",
    "private_key: CertificateIssuerPrivateKeyTypes,",
    "If you need the old behaviour, pass `strict=False` explicitly.",
    "Load and return a dynamic library identified by 'name'.",
    "#  if token==null at end of any token rule, it creates one for you",
    "token = ':'",
    'serverAuth = "1.3.6.1.5.5.7.3.1"',
    "_core_token = rf'(?:[^\\s])+'",
    "token = (String.Double if terminator == '\"' else String.Single)",
    "from_thread_run(afn, trio_token=token)",
    "Token:                  '#ABB2BF',",
    "token = -1",
    "password_regex=r'(?i)(?:password:)|(?:passphrase for key)',",
    "<password>${env.MAVEN_PASSWORD}</password>",
    "PWD=C:\\Users\\ada\\projects",
    "Password: Hunter2 is on the breached list, so the validator rejects it",
]

CLEAN: list[str] = _SEED_INCIDENTS + _SEED_HANDOFF + _CLEAN_WRITTEN
