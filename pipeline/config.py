"""Load and validate the three YAML files of a Pantau config directory.

Every error names the file, the entry and the field, so an operator can fix it without guessing;
the CLI turns `ConfigError` into exit code 2.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

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


class ConfigError(Exception):
    """A config problem, located as precisely as we can: file, entry, field."""

    def __init__(self, file: str, message: str, entry: str | None = None, field: str | None = None):
        self.file, self.entry, self.field, self.message = file, entry, field, message
        where = file
        if entry is not None:
            where += f": entry '{entry}'"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}")


def _check_name(v: str) -> str:
    if not NAME_RE.match(v):
        raise ValueError("must match [a-z0-9-]+")
    return v


def _check_http_url(v: str) -> str:
    if not re.match(r"^https?://[^/\s]+", v):
        raise ValueError(f"{v!r} is not an http(s) URL")
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

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


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

    @field_validator("secret")
    @classmethod
    def _secret(cls, v: str | None) -> str | None:
        if v is None:
            return v
        import base64
        import binascii

        raw = v.removeprefix("whsec_")
        try:
            base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError('must be "whsec_" followed by base64') from None
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


class SourcesFile(Strict):
    sources: list[Source]
    user_agent_contact: str | None = None


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
        """Hide every secret that came from the environment."""
        for secret in sorted(self.secrets, key=len, reverse=True):
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
        return text


def _substitute_env(value: Any, file: str, path: list[str], secrets: list[str]) -> Any:
    if isinstance(value, str):

        def repl(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in os.environ:
                entry, field = _entry_field(value_path=path)
                raise ConfigError(
                    file, f"environment variable {name} is not set", entry=entry, field=field
                )
            secrets.append(os.environ[name])
            return os.environ[name]

        return ENV_RE.sub(repl, value)
    if isinstance(value, list):
        return [_substitute_env(v, file, path + [str(i)], secrets) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _substitute_env(v, file, path + [str(k)], secrets) for k, v in value.items()}
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


def _read_yaml(path: Path) -> Any:
    if not path.exists():
        raise ConfigError(str(path), "file is missing")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(str(path), f"invalid YAML{where}: {problem}") from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), "not UTF-8 text") from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError(str(path), "top level must be a mapping")
    return doc


def _load_file(path: Path, model: type[BaseModel], secrets: list[str]) -> BaseModel:
    raw = _read_yaml(path)
    _RAW_DOCS["current"] = raw
    raw = _substitute_env(raw, str(path), [], secrets)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"]]
        entry, field = _entry_field(loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required field is missing"
        if field is None and "field '" in msg:
            field = msg.split("field '", 1)[1].split("'", 1)[0]
        raise ConfigError(str(path), msg, entry=entry, field=field) from None


def _check_unique(file: str, kind: str, names: list[str]) -> None:
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise ConfigError(file, f"duplicate {kind} name", entry=n, field="name")
        seen.add(n)


def load_config(directory: str | os.PathLike[str]) -> PantauConfig:
    """Read sources.yaml, topics.yaml and subscriptions.yaml, or raise ConfigError."""
    from pipeline.query import QuerySyntaxError, parse_query

    d = Path(directory)
    if not d.is_dir():
        raise ConfigError(str(d), "config directory does not exist")
    secrets: list[str] = []
    src_path, top_path, sub_path = d / "sources.yaml", d / "topics.yaml", d / "subscriptions.yaml"
    sources_file = _load_file(src_path, SourcesFile, [])
    topics_file = _load_file(top_path, TopicsFile, [])
    subs_file = (
        _load_file(sub_path, SubscriptionsFile, secrets)
        if sub_path.exists()
        else SubscriptionsFile(subscriptions=[])
    )
    assert isinstance(sources_file, SourcesFile)
    assert isinstance(topics_file, TopicsFile)
    assert isinstance(subs_file, SubscriptionsFile)

    _check_unique(str(src_path), "source", [s.name for s in sources_file.sources])
    _check_unique(str(top_path), "topic", [t.name for t in topics_file.topics])
    _check_unique(str(sub_path), "subscription", [s.name for s in subs_file.subscriptions])

    for t in topics_file.topics:
        try:
            parse_query(t.query, synonyms=t.synonyms)
        except QuerySyntaxError as exc:
            raise ConfigError(
                str(top_path), f"bad query: {exc}", entry=t.name, field="query"
            ) from None

    topic_names = {t.name for t in topics_file.topics}
    source_names = {s.name for s in sources_file.sources}
    for s in subs_file.subscriptions:
        for t in s.topics:
            if t not in topic_names:
                raise ConfigError(
                    str(sub_path), f"unknown topic {t!r}", entry=s.name, field="topics"
                )
        for src in s.sources:
            if src not in source_names:
                raise ConfigError(
                    str(sub_path), f"unknown source {src!r}", entry=s.name, field="sources"
                )
        if s.channel == "email" and subs_file.smtp is None:
            raise ConfigError(
                str(sub_path),
                "email subscriptions need an smtp: section",
                entry=s.name,
                field="channel",
            )

    return PantauConfig(
        directory=str(d),
        sources=sources_file.sources,
        topics=topics_file.topics,
        smtp=subs_file.smtp,
        subscriptions=subs_file.subscriptions,
        user_agent_contact=sources_file.user_agent_contact,
        secrets=secrets,
    )
