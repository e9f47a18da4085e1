"""Proxy settings for YouTube requests: from the environment or settings, never logged.

Environment variables (Webshare takes the place of a generic proxy; setting both is an error):
  INTERLINEAR_PROXY_HTTP, INTERLINEAR_PROXY_HTTPS      any HTTP/HTTPS/SOCKS proxy URL
  INTERLINEAR_WEBSHARE_USER, INTERLINEAR_WEBSHARE_PASSWORD   Webshare rotating residential
  INTERLINEAR_WEBSHARE_LOCATIONS                       optional country codes, e.g. "de,us"
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from youtube_transcript_api.proxies import (
    GenericProxyConfig,
    ProxyConfig,
    WebshareProxyConfig,
)

from ..errors import ConfigError

__all__ = ["ProxySettings", "redact"]

ENV_HTTP = "INTERLINEAR_PROXY_HTTP"
ENV_HTTPS = "INTERLINEAR_PROXY_HTTPS"
ENV_WS_USER = "INTERLINEAR_WEBSHARE_USER"
ENV_WS_PASSWORD = "INTERLINEAR_WEBSHARE_PASSWORD"
ENV_WS_LOCATIONS = "INTERLINEAR_WEBSHARE_LOCATIONS"

_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def _host(url: str) -> str:
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname or '?'}" + (
            f":{parts.port}" if parts.port else "")
    except ValueError:
        return "(unreadable proxy URL)"


@dataclass(frozen=True)
class ProxySettings:
    """Which proxy to use. `repr` and `describe()` never show credentials."""

    http_url: str | None = field(default=None, repr=False)
    https_url: str | None = field(default=None, repr=False)
    webshare_user: str | None = field(default=None, repr=False)
    webshare_password: str | None = field(default=None, repr=False)
    webshare_locations: tuple[str, ...] = ()
    webshare_retries: int = 10

    def __post_init__(self) -> None:
        webshare = self.webshare_user or self.webshare_password
        if webshare and not (self.webshare_user and self.webshare_password):
            raise ConfigError(f"Webshare proxy needs both {ENV_WS_USER} and {ENV_WS_PASSWORD}")
        if webshare and (self.http_url or self.https_url):
            raise ConfigError("configure either a Webshare proxy or a generic proxy, not both")
        for url in (self.http_url, self.https_url):
            if url and "://" not in url:
                raise ConfigError(f"proxy URL must start with a scheme: {_host(url)}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ProxySettings | None:
        """Proxy settings from `env` (default `os.environ`); None when none is set."""
        env = os.environ if env is None else env
        get = lambda k: (env.get(k) or "").strip() or None  # noqa: E731
        locations = tuple(x.strip() for x in (get(ENV_WS_LOCATIONS) or "").split(",") if x.strip())
        settings = cls(
            http_url=get(ENV_HTTP), https_url=get(ENV_HTTPS),
            webshare_user=get(ENV_WS_USER), webshare_password=get(ENV_WS_PASSWORD),
            webshare_locations=locations,
        )
        return settings if settings.configured else None

    @property
    def configured(self) -> bool:
        return bool(self.http_url or self.https_url or self.webshare_user)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings that must never appear in logs or outputs."""
        users = [self.webshare_user]
        out = [self.webshare_password]
        for url in (self.http_url, self.https_url):
            if url:
                parts = urlsplit(url)
                out += [url, parts.password]
                users.append(parts.username)
        # a very short user name would garble every message it is replaced in
        return tuple(s for s in out if s) + tuple(u for u in users if u and len(u) >= 4)

    def describe(self) -> str:
        if self.webshare_user:
            where = f" ({','.join(self.webshare_locations)})" if self.webshare_locations else ""
            return f"Webshare rotating proxy{where}"
        urls = {_host(u) for u in (self.http_url, self.https_url) if u}
        return "proxy " + ", ".join(sorted(urls)) if urls else "no proxy"

    def to_config(self) -> ProxyConfig:
        if self.webshare_user and self.webshare_password:
            return WebshareProxyConfig(
                proxy_username=self.webshare_user,
                proxy_password=self.webshare_password,
                filter_ip_locations=list(self.webshare_locations) or None,
                retries_when_blocked=self.webshare_retries,
            )
        return GenericProxyConfig(http_url=self.http_url, https_url=self.https_url)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` with URL credentials and the given secrets replaced by `***`."""
    text = _USERINFO.sub("***@", text)
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text
