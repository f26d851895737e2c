"""Where spans go: exporter settings from flags and OTEL_* variables, checked.

Precedence: command-line flag > signal-specific ``OTEL_EXPORTER_OTLP_TRACES_*`` >
generic ``OTEL_EXPORTER_OTLP_*`` > default, as the OpenTelemetry specification
says.  ``OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT`` is read in **milliseconds**, per
the specification (the Python SDK alone reads it in seconds).  The default is
1000 ms rather than the spec's 10 s so that a missing collector never stalls a
demo run.  Headers (often credentials) and ``user:password@`` in an endpoint URL
(sent as an HTTP Basic ``authorization`` header) are never printed: every error
message here names a key or a redacted URL, never a value.
"""
from __future__ import annotations

import base64
import ipaddress
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from ..i18n import _

EXPORTERS = ("otlp", "console", "none")
PROTOCOLS = ("grpc", "http/protobuf")
COMPRESSIONS = ("none", "gzip")
DEFAULT_PORTS = {"grpc": 4317, "http/protobuf": 4318}
DEFAULT_ENDPOINTS = {p: f"http://localhost:{port}" for p, port in DEFAULT_PORTS.items()}
DEFAULT_ENDPOINT = DEFAULT_ENDPOINTS["grpc"]
TRACES_PATH = "/v1/traces"
DEFAULT_TIMEOUT_MS = 1000.0
MAX_TIMEOUT_MS = 600_000.0  # ten minutes: longer is a typo, not a collector
_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP header name (RFC 9110 token)


class SettingsError(ValueError):
    """Bad configuration: the CLI turns it into a one-line error and exit code 2."""


@dataclass(frozen=True)
class Endpoint:
    """Where OTLP goes, with any credentials taken out of it."""

    scheme: str  # http or https
    host: str  # a name or an IP address (IPv6 without brackets)
    port: int
    path: str = ""  # OTLP/HTTP: the full path, /v1/traces by default; gRPC: none

    @property
    def authority(self) -> str:
        """``host:port`` (``[::1]:port`` for IPv6), safe to print."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.authority}{self.path}"


@dataclass(frozen=True)
class ExportSettings:
    exporters: tuple[str, ...] = ("otlp",)  # any of otlp, console; empty: export off
    protocol: str = "grpc"
    endpoint: Endpoint = Endpoint("http", "localhost", 4317)
    timeout_ms: float = DEFAULT_TIMEOUT_MS
    insecure: bool | None = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # never printed
    compression: str = "none"
    certificate: str | None = None

    @property
    def target(self) -> str:
        """host:port, safe to print: no headers, no credentials."""
        return self.endpoint.authority

    @property
    def exports_otlp(self) -> bool:
        return "otlp" in self.exporters

    @property
    def plaintext(self) -> bool:
        return self.insecure is True or self.endpoint.scheme == "http"


def redact(url: str) -> str:
    """The URL as it may be printed: any ``user:password@`` replaced by ``***@``, and the
    values of its query string and its fragment by ``***`` (``?token=...`` is a credential
    too): ``http://***@host:4318/v1/traces?token=***``."""
    url, hash_, fragment = url.strip().partition("#")
    url, mark, query = url.partition("?")
    # Up to the authority's last "@": a password may hold one.
    shown = re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)?[^/]*@", lambda m: (m.group(1) or "") + "***@", url)
    if mark:
        shown += "?" + "&".join(f"{item.partition('=')[0]}=***" if "=" in item else "***"
                                for item in query.split("&"))
    return shown + ("#***" if hash_ else "")


def _env(env: Mapping[str, str], name: str) -> tuple[str, str] | None:
    """(variable, value) for OTEL_EXPORTER_OTLP_TRACES_<name>, else the generic one."""
    for key in (f"OTEL_EXPORTER_OTLP_TRACES_{name}", f"OTEL_EXPORTER_OTLP_{name}"):
        value = env.get(key)
        if value is not None and value.strip() != "":
            return key, value.strip()
    return None


def parse_endpoint(raw: str, protocol: str = "grpc", append_path: bool = False,
                   source: str = "") -> tuple[Endpoint, str | None]:
    """``http(s)://[user:password@]host[:port][/path]`` or bare ``host:port``.

    Returns the endpoint and the credentials from the URL as an ``authorization``
    header value (or None).  Errors name the source and the URL with credentials
    redacted.
    """
    shown = redact(raw)

    def bad(why: str) -> SettingsError:
        if source:
            return SettingsError(_("invalid OTLP endpoint {url} (from {source}): {why}").format(
                url=repr(shown), source=source, why=why))
        return SettingsError(_("invalid OTLP endpoint {url}: {why}").format(url=repr(shown), why=why))

    value = raw.strip()
    if not value:
        raise bad(_("it is empty (expected http(s)://host:port)"))
    if "://" not in value:
        value = "http://" + value
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:  # "Invalid IPv6 URL", "Port out of range 0-65535", ...
        raise bad(_("{problem} (expected http(s)://host:port)").format(problem=exc)) from None
    if parts.scheme not in ("http", "https"):
        raise bad(_("scheme {scheme} (expected http:// or https://)").format(
            scheme=repr(parts.scheme)))
    host = parts.hostname or ""
    if not host:
        raise bad(_("no host (expected http(s)://host:port)"))
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _HOST.match(host):
            raise bad(_("{host} is not a host name").format(host=repr(host))) from None
    if port == 0:
        raise bad(_("port 0 is not a port to send to"))
    if protocol == "grpc":
        if parts.path not in ("", "/") or parts.query:
            raise bad(_("a gRPC endpoint has no path"))
        path = ""
    else:
        base = parts.path.rstrip("/")
        path = base + TRACES_PATH if append_path else (base or TRACES_PATH)
    credentials = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        credentials = "Basic " + base64.b64encode(pair.encode()).decode()
    return Endpoint(parts.scheme, host, port or DEFAULT_PORTS[protocol], path), credentials


def parse_headers(raw: str, source: str = "OTEL_EXPORTER_OTLP_HEADERS") -> dict[str, str]:
    """``key=value,key2=value2`` with percent-encoded values (the spec's format).

    A malformed entry is an error that names the key (never the value): a header
    the user meant to send and that silently went missing is worse than a clear line.
    """
    headers: dict[str, str] = {}
    for number, entry in enumerate(raw.split(","), 1):
        if not entry.strip():
            continue
        key, sep, value = entry.partition("=")
        key = unquote(key.strip())
        if not sep:
            named = entry.partition(":")[0].strip()
            if ":" in entry and _TOKEN.match(named):
                raise SettingsError(_("{source}: the entry {key} is not key=value (values are never "
                                      "printed)").format(source=source, key=repr(named)))
            raise SettingsError(_("{source}: entry {number} is not key=value (values are never "
                                  "printed)").format(source=source, number=number))
        if not _TOKEN.match(key):
            raise SettingsError(_("{source}: entry {number} has no valid header name before "
                                  "'='").format(source=source, number=number))
        decoded = unquote(value.strip())
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in decoded):
            raise SettingsError(_("{source}: the value of {key} holds a control character (a "
                                  "newline?); values are never printed").format(
                source=source, key=repr(key.lower())))
        headers[key.lower()] = decoded
    return headers


def _timeout_ms(env: Mapping[str, str]) -> float:
    found = _env(env, "TIMEOUT")
    if not found:
        return DEFAULT_TIMEOUT_MS
    key, raw = found
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(_("{name}={value}: expected a number of milliseconds").format(
            name=key, value=repr(raw))) from None
    if not math.isfinite(value) or not 0 < value <= MAX_TIMEOUT_MS:
        raise SettingsError(_("{name}={value}: expected milliseconds from 1 to {most}").format(
            name=key, value=repr(raw), most=f"{MAX_TIMEOUT_MS:.0f}"))
    return value


def _exporters(flag: str | None, env: Mapping[str, str]) -> tuple[str, ...]:
    """``--exporter`` or OTEL_TRACES_EXPORTER (a list, as the spec allows: console,otlp)."""
    source = "--exporter" if flag else "OTEL_TRACES_EXPORTER"
    raw = flag or env.get("OTEL_TRACES_EXPORTER", "").strip() or "otlp"
    names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n not in EXPORTERS]
    if unknown or not names:
        raise SettingsError(_("{source}: unknown traces exporter {name}: choose from {choices} (a "
                              "comma-separated list is allowed)").format(
            source=source, name=", ".join(unknown) or repr(raw), choices=", ".join(EXPORTERS)))
    if "none" in names and len(set(names)) > 1:
        raise SettingsError(_("{source}={value}: 'none' cannot be combined with an exporter").format(
            source=source, value=repr(raw)))
    return tuple(dict.fromkeys(n for n in names if n != "none"))


def resolve(exporter: str | None = None, endpoint: str | None = None,
            env: Mapping[str, str] | None = None, protocol: str | None = None) -> ExportSettings:
    """Merge flags over environment over defaults; raise SettingsError on bad values."""
    env = os.environ if env is None else env
    exporters = _exporters(exporter, env)
    found = _env(env, "PROTOCOL")
    proto = (protocol or (found[1] if found else "grpc")).lower()
    if proto not in PROTOCOLS:
        raise SettingsError(_("unsupported OTLP protocol {name}: choose one of {choices}").format(
            name=repr(proto), choices=", ".join(PROTOCOLS)))
    if endpoint is not None:
        url, credentials = parse_endpoint(endpoint, proto, source="--endpoint")
    elif env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip():
        url, credentials = parse_endpoint(env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"], proto,
                                          source="OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    elif env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip():
        # The generic variable is a base URL: the spec appends the signal's path.
        url, credentials = parse_endpoint(env["OTEL_EXPORTER_OTLP_ENDPOINT"], proto, append_path=True,
                                          source="OTEL_EXPORTER_OTLP_ENDPOINT")
    else:
        url, credentials = parse_endpoint(DEFAULT_ENDPOINTS[proto], proto, append_path=True)
    insecure = _env(env, "INSECURE")
    found_headers = _env(env, "HEADERS")
    headers = parse_headers(found_headers[1], found_headers[0]) if found_headers else {}
    if credentials:
        headers.setdefault("authorization", credentials)  # an explicit header wins
    compression = (_env(env, "COMPRESSION") or ("", "none"))[1].lower()
    if compression not in COMPRESSIONS:
        raise SettingsError(_("unsupported OTLP compression {name}: choose one of {choices}").format(
            name=repr(compression), choices=", ".join(COMPRESSIONS)))
    certificate = _env(env, "CERTIFICATE")
    if certificate and not os.path.isfile(certificate[1]):
        raise SettingsError(_("{name}: no such certificate file {path}").format(
            name=certificate[0], path=repr(certificate[1])))
    return ExportSettings(
        exporters, proto, url, _timeout_ms(env),
        None if insecure is None else insecure[1].lower() == "true", headers,
        compression, certificate[1] if certificate else None)
