"""Load and validate the three YAML files of a Pantau config directory.

Every error names the file, the entry and the field, so an operator can fix it without guessing;
the CLI turns `ConfigError` into exit code 2.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

NAME_RE = re.compile(r"^[a-z0-9-]+$")
ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
DURATION_RE = re.compile(r"^(\d+)\s*([mhdw])$")
DURATION_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
WEBHOOK_KEY_BYTES = (24, 64)  # decoded webhook secret length, as Standard Webhooks requires
CLOCK_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
DEFAULT_TIMEZONE = "Asia/Jakarta"  # WIB


class ConfigError(Exception):
    """A config problem, located as precisely as we can: file, entry, field."""

    def __init__(
        self,
        file: str,
        message: str,
        entry: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ):
        self.file, self.entry, self.field, self.message = file, entry, field, message
        self.line = line
        where = file if line is None else f"{file}, line {line}"
        if entry is not None:
            where += f": entry '{entry}'"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}")


class ConfigErrors(ConfigError):
    """Every problem found in one pass (check-config shows them all, not only the first).

    Reads as its first error (file, entry, field) for callers that handle one; `errors` has all.
    """

    def __init__(self, errors: list[ConfigError]):
        first = errors[0]
        super().__init__(first.file, first.message, first.entry, first.field, first.line)
        self.errors = errors
        self.args = ("\n".join(str(e) for e in errors),)

    def __str__(self) -> str:
        return self.args[0]


def _check_name(v: str) -> str:
    if not NAME_RE.match(v):
        raise ValueError("must match [a-z0-9-]+")
    return v


def _check_http_url(v: str) -> str:
    if not re.match(r"^https?://[^/\s]+", v):
        # The value is not echoed: a Slack URL's path is its credential, and the file, entry,
        # field and line named with this message locate the value well enough.
        raise ValueError("is not an http(s) URL (http:// or https:// followed by a host)")
    return v


Name = Annotated[str, AfterValidator(_check_name)]
HttpUrl = Annotated[str, AfterValidator(_check_http_url)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Source(Strict):
    name: Name
    url: HttpUrl
    region: str | None = None
    template: Literal["generic", "wordpress", "tribun", "antara", "kompas", "detik", "blogger"] = (
        "generic"
    )
    feeds: list[HttpUrl] = Field(default_factory=list)
    sitemaps: list[HttpUrl] = Field(default_factory=list)
    search_url: HttpUrl | None = None
    listings: list[HttpUrl] = Field(default_factory=list)
    article_url_pattern: str | None = None
    max_requests: int = Field(default=500, ge=1)
    window_days: int = Field(default=30, ge=1)
    download_delay: float | None = Field(default=None, ge=0)  # seconds between requests
    concurrency: int | None = Field(default=None, ge=1, le=16)  # requests at once to this site
    enabled: bool = True

    @field_validator("search_url")
    @classmethod
    def _search_placeholder(cls, v: str | None) -> str | None:
        if v is not None and "{query}" not in v:
            raise ValueError("must contain {query}")
        return v

    @field_validator("article_url_pattern")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return v


class Topic(Strict):
    name: Name
    query: str
    search_terms: list[str] = Field(default_factory=list)
    synonyms: list[list[str]] = Field(default_factory=list)
    description: str | None = None


class Smtp(Strict):
    host: str = "localhost"
    port: int = 25
    from_: str = Field(alias="from", default="pantau@localhost")
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    ssl: bool = False
    timeout: float = 30.0
    # PEM file of CAs to trust (a private CA); None = the system store. Never disables checks.
    ca_file: str | None = None
    # AUTH without TLS sends the password in clear text: only when the operator says so.
    allow_plaintext_auth: bool = False

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _no_plaintext_auth(self) -> Smtp:
        if self.username and not (self.starttls or self.ssl or self.allow_plaintext_auth):
            raise ValueError(
                "field 'username' without starttls: true or ssl: true would send the password "
                "in clear text; enable TLS, or set allow_plaintext_auth: true to accept that"
            )
        return self


class Subscription(Strict):
    name: str
    topics: list[str]
    regions: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    channel: Literal["slack", "webhook", "email"]
    url: HttpUrl | None = None
    secret: str | None = None
    to: list[str] = Field(default_factory=list)
    mode: Literal["instant", "digest"] = "instant"
    digest_every: str = "1d"
    digest_at: str | None = None  # "HH:MM", local time of day in `timezone` (mode digest only)
    timezone: str = DEFAULT_TIMEZONE  # IANA zone name, for digest_at
    on_update: Literal["silent", "notify"] = "silent"
    allow_private_network: bool = False
    max_attempts: int = Field(default=8, ge=1, le=50)
    enabled: bool = True

    @field_validator("topics")
    @classmethod
    def _topics(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("needs at least one topic")
        return v

    @field_validator("digest_every")
    @classmethod
    def _duration(cls, v: str) -> str:
        if not DURATION_RE.match(v.strip()):
            raise ValueError("must be a duration such as 30m, 1h, 6h, 1d, 1w")
        return v.strip()

    @field_validator("digest_at", mode="before")
    @classmethod
    def _sexagesimal(cls, v: Any) -> Any:
        """YAML 1.1 reads an unquoted 07:30 as the base-60 integer 450: give the time back."""
        if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 24 * 60:
            return f"{v // 60:02d}:{v % 60:02d}"
        return v

    @field_validator("digest_at")
    @classmethod
    def _clock(cls, v: str | None) -> str | None:
        if v is not None and not CLOCK_RE.match(v.strip()):
            raise ValueError('must be a 24-hour time "HH:MM", such as "07:00"')
        return v.strip() if v is not None else v

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{v!r} is not a time zone name such as Asia/Jakarta") from None
        return v

    @model_validator(mode="after")
    def _digest_schedule(self) -> Subscription:
        """digest_at and timezone only shape digests: refuse them where they would do nothing."""
        if self.digest_at is not None and self.mode != "digest":
            raise ValueError("field 'digest_at' needs mode: digest")
        # (the default itself is let through, so a dumped config loads again)
        if self.timezone != DEFAULT_TIMEZONE and self.digest_at is None:
            raise ValueError("field 'timezone' applies only with digest_at")
        if self.digest_at is not None and self.digest_seconds % 86400:
            raise ValueError("field 'digest_every' must be whole days (1d, 2d, 1w) with digest_at")
        return self

    @field_validator("secret")
    @classmethod
    def _secret(cls, v: str | None) -> str | None:
        if v is None:
            return v
        import base64
        import binascii

        raw = v.removeprefix("whsec_")
        try:
            key = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError('must be "whsec_" followed by base64') from None
        if not WEBHOOK_KEY_BYTES[0] <= len(key) <= WEBHOOK_KEY_BYTES[1]:
            # An empty or short key (`whsec_`, or `whsec_${VAR}` with VAR empty) lets anyone
            # forge signatures; Standard Webhooks asks for 24 to 64 bytes.
            raise ValueError(
                f"must decode to {WEBHOOK_KEY_BYTES[0]}-{WEBHOOK_KEY_BYTES[1]} bytes "
                f"(this one decodes to {len(key)})"
            )
        return v

    @model_validator(mode="after")
    def _channel_fields(self) -> Subscription:
        if self.channel in ("slack", "webhook") and not self.url:
            raise ValueError(f"field 'url' is required for channel {self.channel}")
        if self.channel == "webhook" and not self.secret:
            raise ValueError("field 'secret' is required for channel webhook")
        if self.channel == "email" and not self.to:
            raise ValueError("field 'to' is required for channel email")
        return self

    @property
    def digest_seconds(self) -> int:
        m = DURATION_RE.match(self.digest_every)
        assert m
        return int(m.group(1)) * DURATION_UNITS[m.group(2)]


def _check_redis_url(v: str) -> str:
    scheme = v.split("://", 1)[0] if "://" in v else ""
    if scheme not in ("redis", "rediss", "unix"):
        raise ValueError("must be a redis://, rediss:// or unix:// URL")
    return v


class Cluster(Strict):
    """Distributed mode (docs/scaling.md): `pantau worker` processes fetch and extract, this
    process schedules (robots, frontier, delays) and stays the archive's only writer. Absent:
    everything runs on one machine."""

    redis_url: Annotated[str, AfterValidator(_check_redis_url)]
    queue: Name = "pantau-extract"  # the work queue's name (one cluster per Redis database)
    # who does the network fetch: the workers (through a Scrapy download handler, so the per-site
    # download slot still lives here) or this process, as before workers could fetch
    fetch: Literal["workers", "coordinator"] = "workers"
    # a worker silent this long is dead: what it had taken goes back to the queue
    dead_worker_after: float = Field(default=60, gt=0)
    # the coordinator extracts a page itself when no worker answered in this time
    result_timeout: float = Field(default=600, gt=0)


class SourcesFile(Strict):
    sources: list[Source]
    user_agent_contact: str | None = None
    cluster: Cluster | None = None


class TopicsFile(Strict):
    topics: list[Topic]


class SubscriptionsFile(Strict):
    smtp: Smtp | None = None
    subscriptions: list[Subscription] = Field(default_factory=list)


class PantauConfig(BaseModel):
    """The whole validated config directory."""

    directory: str
    sources: list[Source]
    topics: list[Topic]
    smtp: Smtp | None
    subscriptions: list[Subscription]
    user_agent_contact: str | None = None
    cluster: Cluster | None = None  # distributed mode; None: one machine (the default)
    secrets: list[str] = Field(default_factory=list)  # values substituted from ${ENV}, for masking

    def source(self, name: str) -> Source:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)

    def subscription(self, name: str) -> Subscription:
        for s in self.subscriptions:
            if s.name == name:
                return s
        raise KeyError(name)

    def mask(self, text: str) -> str:
        """Hide every secret: ${ENV} values and the secret-bearing fields written literally."""
        return mask_secrets(text, self.secrets)


def mask_secrets(text: str, secrets: list[str]) -> str:
    """`text` with each of `secrets` (longest first, 4+ characters) replaced by ***."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def literal_secrets(smtp: Smtp | None, subscriptions: list[Subscription]) -> list[str]:
    """The secret-bearing values of a config, however written (literal YAML or ${ENV}):
    the SMTP password, webhook secrets, and the path and query of Slack and webhook URLs
    (a Slack incoming-webhook path is its credential)."""
    from urllib.parse import urlsplit

    found = [smtp.password] if smtp and smtp.password else []
    for sub in subscriptions:
        if sub.secret:
            found += [sub.secret, sub.secret.removeprefix("whsec_")]
        if sub.url and sub.channel in ("slack", "webhook"):
            parts = urlsplit(sub.url)
            tail = parts.path + (f"?{parts.query}" if parts.query else "")
            found += [tail, parts.path, parts.query]
    return [s for s in found if s and s != "/"]


def _redis_secrets(cluster: Cluster | None) -> list[str]:
    """The password in a cluster's redis_url (redis://:PASSWORD@host), never printed."""
    from urllib.parse import urlsplit

    password = urlsplit(cluster.redis_url).password if cluster else None
    return [password] if password else []


def _substitute_env(
    value: Any,
    file: str,
    path: list[str],
    secrets: list[str],
    errors: list[ConfigError] | None = None,
    lines: dict[tuple[str, ...], int] | None = None,
) -> Any:
    """Replace ${NAME}; an unset variable raises, or is recorded in `errors` and left as is."""
    if isinstance(value, str):

        def repl(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in os.environ:
                entry, field = _entry_field(value_path=path)
                err = ConfigError(
                    file,
                    f"environment variable {name} is not set",
                    entry=entry,
                    field=field,
                    line=_line_of(lines or {}, path),
                )
                if errors is None:
                    raise err
                errors.append(err)
                return m.group(0)
            secrets.append(os.environ[name])
            return os.environ[name]

        return ENV_RE.sub(repl, value)
    if isinstance(value, list):
        return [
            _substitute_env(v, file, path + [str(i)], secrets, errors, lines)
            for i, v in enumerate(value)
        ]
    if isinstance(value, dict):
        return {
            k: _substitute_env(v, file, path + [str(k)], secrets, errors, lines)
            for k, v in value.items()
        }
    return value


_RAW_DOCS: dict[str, Any] = {}


def _entry_field(value_path: list[str]) -> tuple[str | None, str | None]:
    """Turn a path like ['subscriptions', '2', 'url'] into (entry name, field)."""
    doc = _RAW_DOCS.get("current")
    if len(value_path) >= 2 and value_path[1].isdigit():
        idx = int(value_path[1])
        entry = f"#{idx + 1}"
        try:
            name = doc[value_path[0]][idx].get("name")  # type: ignore[index]
            if name:
                entry = str(name)
        except (TypeError, KeyError, IndexError, AttributeError):
            pass
        field = ".".join(value_path[2:]) or None
        return entry, field
    if value_path:
        return value_path[0], ".".join(value_path[1:]) or None
    return None, None


def _node_lines(node: yaml.Node, path: tuple[str, ...], out: dict[tuple[str, ...], int]) -> None:
    """Record the 1-based line of every key and list item, by its path of keys and indexes."""
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, child in node.value:
            sub = path + (str(key.value),)
            out[sub] = key.start_mark.line + 1
            _node_lines(child, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _node_lines(child, path + (str(i),), out)


def _line_of(lines: dict[tuple[str, ...], int], path: list[str] | tuple[str, ...]) -> int | None:
    """The line of `path`, or of its nearest ancestor present in the file (a missing field)."""
    key = tuple(path)
    while key and key not in lines:
        key = key[:-1]
    return lines.get(key) if key else None


def _read_yaml(path: Path) -> tuple[Any, dict[tuple[str, ...], int]]:
    """The document and the line of every node in it (YAML marks) for error messages."""
    if not path.exists():
        raise ConfigError(str(path), "file is missing")
    try:
        text = path.read_text(encoding="utf-8")
        doc = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark else None
        raise ConfigError(str(path), f"invalid YAML{where}: {problem}", line=line) from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), "not UTF-8 text") from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError(str(path), "top level must be a mapping")
    lines: dict[tuple[str, ...], int] = {}
    if root is not None:
        _node_lines(root, (), lines)
    return doc, lines


@dataclass
class _Loaded:
    """One validated file: its model (valid entries only, when some were not), and where
    each node and each named entry sits, for locating later cross-file errors."""

    model: BaseModel | None
    lines: dict[tuple[str, ...], int] = dc_field(default_factory=dict)
    positions: dict[tuple[str, str], list[int]] = dc_field(default_factory=dict)

    def line(self, kind: str, name: str, field: str, nth: int = 0) -> int | None:
        """Line of `field` of the nth entry called `name` in the list `kind`."""
        idx = self.positions.get((kind, name), [])
        if len(idx) <= nth:
            return None
        return _line_of(self.lines, (kind, str(idx[nth]), field))


def _load_file(
    path: Path, model: type[BaseModel], secrets: list[str], errors: list[ConfigError]
) -> _Loaded:
    """Validate one file, adding every problem found to `errors`. Entries with problems are
    left out of the model, so cross-file checks still run on the rest in the same pass."""
    try:
        raw, lines = _read_yaml(path)
    except ConfigError as exc:
        errors.append(exc)
        return _Loaded(None)
    _RAW_DOCS["current"] = raw
    positions: dict[tuple[str, str], list[int]] = {}
    for kind, entries in raw.items():
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(entry, dict) and "name" in entry:
                positions.setdefault((str(kind), str(entry["name"])), []).append(i)
    env_errors: list[ConfigError] = []
    raw = _substitute_env(raw, str(path), [], secrets, env_errors, lines)
    errors.extend(env_errors)
    bad: set[tuple[str, int]] = set()
    for e in env_errors:  # entries whose values are not all known: left out of the model
        for (kind, name), idx in positions.items():
            if name == e.entry:
                bad.update((kind, i) for i in idx)
    try:
        model.model_validate(raw)  # every entry, so error locations index the file's lists
    except ValidationError as exc:
        seen = {(e.entry, e.field) for e in env_errors}
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            entry, field = _entry_field(loc)
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            elif err["type"] == "missing":
                msg = "required field is missing"
            if field is None and "field '" in msg:
                field = msg.split("field '", 1)[1].split("'", 1)[0]
                loc = loc + [field]
            if len(loc) >= 2 and loc[1].isdigit():
                bad.add((loc[0], int(loc[1])))
            if (entry, field) in seen:  # one message per field: the first cause
                continue
            seen.add((entry, field))
            errors.append(
                ConfigError(str(path), msg, entry=entry, field=field, line=_line_of(lines, loc))
            )
    try:
        result = model.model_validate(_without(raw, bad))
    except ValidationError:  # a problem outside the lists (say smtp): no model at all
        return _Loaded(None, lines, positions)
    return _Loaded(result, lines, positions)


def _without(raw: dict[str, Any], bad: set[tuple[str, int]]) -> dict[str, Any]:
    """`raw` minus the list entries in `bad`: the rest can still be checked across files."""
    return {
        k: [x for i, x in enumerate(v) if (k, i) not in bad] if isinstance(v, list) else v
        for k, v in raw.items()
    }


def _check_unique(file: str, kind: str, loaded: _Loaded, errors: list[ConfigError]) -> None:
    for (list_name, name), idx in loaded.positions.items():
        if list_name == f"{kind}s" and len(idx) > 1:
            for nth in range(1, len(idx)):
                line = loaded.line(list_name, name, "name", nth)
                errors.append(
                    ConfigError(file, f"duplicate {kind} name", entry=name, field="name", line=line)
                )


def load_config(directory: str | os.PathLike[str]) -> PantauConfig:
    """Read sources.yaml, topics.yaml and subscriptions.yaml, or raise ConfigErrors (all of
    the problems found, each with file, line, entry and field)."""
    from pantau.pipeline.query import QuerySyntaxError, parse_query

    d = Path(directory)
    if not d.is_dir():
        raise ConfigError(str(d), "config directory does not exist")
    secrets: list[str] = []
    errors: list[ConfigError] = []
    src_path, top_path, sub_path = d / "sources.yaml", d / "topics.yaml", d / "subscriptions.yaml"
    src = _load_file(src_path, SourcesFile, [], errors)
    top = _load_file(top_path, TopicsFile, [], errors)
    sub = _Loaded(SubscriptionsFile(subscriptions=[]))
    if sub_path.exists():
        sub = _load_file(sub_path, SubscriptionsFile, secrets, errors)
    sources_file, topics_file, subs_file = src.model, top.model, sub.model

    def err(path: Path, loaded: _Loaded, kind: str, name: str, field: str, msg: str) -> None:
        line = loaded.line(kind, name, field)
        errors.append(ConfigError(str(path), msg, entry=name, field=field, line=line))

    _check_unique(str(src_path), "source", src, errors)
    _check_unique(str(top_path), "topic", top, errors)
    _check_unique(str(sub_path), "subscription", sub, errors)
    if isinstance(topics_file, TopicsFile):
        for t in topics_file.topics:
            try:
                parse_query(t.query, synonyms=t.synonyms)
            except QuerySyntaxError as exc:
                err(top_path, top, "topics", t.name, "query", f"bad query: {exc}")
    if isinstance(subs_file, SubscriptionsFile):
        topic_names = (
            {t.name for t in topics_file.topics} if isinstance(topics_file, TopicsFile) else None
        )
        source_names = (
            {s.name for s in sources_file.sources}
            if isinstance(sources_file, SourcesFile)
            else None
        )
        for s in subs_file.subscriptions:
            for t in s.topics:
                if topic_names is not None and t not in topic_names:
                    err(sub_path, sub, "subscriptions", s.name, "topics", f"unknown topic {t!r}")
            for x in s.sources:
                if source_names is not None and x not in source_names:
                    msg = f"unknown source {x!r}"
                    err(sub_path, sub, "subscriptions", s.name, "sources", msg)
            if s.channel == "email" and subs_file.smtp is None:
                msg = "email subscriptions need an smtp: section"
                err(sub_path, sub, "subscriptions", s.name, "channel", msg)

    if errors:
        # Messages may quote a value, and a value may hold a substituted secret: mask them.
        raise ConfigErrors(
            [
                ConfigError(e.file, mask_secrets(e.message, secrets), e.entry, e.field, e.line)
                for e in errors
            ]
        )
    assert isinstance(sources_file, SourcesFile)
    assert isinstance(topics_file, TopicsFile)
    assert isinstance(subs_file, SubscriptionsFile)
    return PantauConfig(
        directory=str(d),
        sources=sources_file.sources,
        topics=topics_file.topics,
        smtp=subs_file.smtp,
        subscriptions=subs_file.subscriptions,
        user_agent_contact=sources_file.user_agent_contact,
        cluster=sources_file.cluster,
        secrets=secrets
        + literal_secrets(subs_file.smtp, subs_file.subscriptions)
        + _redis_secrets(sources_file.cluster),
    )
