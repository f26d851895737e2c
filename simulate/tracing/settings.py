"""What the official OTLP exporters will be given, checked before they see it.

The exporters read the ``OTEL_EXPORTER_OTLP_[TRACES_]*`` variables themselves
(exporters.py builds them the standard way); this module only does what the SDK
does not: our flags (``--endpoint``, ``--protocol``, ``--exporter``), turning a bad
value into one line and exit 2 *before* an exporter logs it (or a header value in
it) or raises, and knowing where the exporter will send so that it can be printed
(redacted) and probed when export fails.  ``OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT``
is read in **seconds**, as the Python SDK reads it (the specification says
milliseconds: opentelemetry-python #4044).  Without it we give the exporter 1 s, not
the SDK's 10 s, so that a missing collector never stalls a demo run.  Headers and
``user:password@`` in an endpoint URL (sent as an HTTP Basic ``authorization``
header: the gRPC exporter has no notion of URL credentials) are never printed.
"""
from __future__ import annotations

import base64
import ipaddress
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import unquote, urlsplit

from ..i18n import _

EXPORTERS = ("otlp", "console", "none")
PROTOCOLS = ("grpc", "http/protobuf")
COMPRESSIONS = ("none", "gzip")  # what both exporters take (the HTTP one also deflate)
DEFAULT_PORTS = {"grpc": 4317, "http/protobuf": 4318}
DEFAULT_ENDPOINTS = {p: f"http://localhost:{port}" for p, port in DEFAULT_PORTS.items()}
DEFAULT_ENDPOINT = DEFAULT_ENDPOINTS["grpc"]
SIGNALS = ("traces", "logs", "metrics")
PATHS = {signal: f"/v1/{signal}" for signal in SIGNALS}
TRACES_PATH = PATHS["traces"]
DEFAULT_TIMEOUT_S = 1.0
MAX_TIMEOUT_S = 600.0  # ten minutes: longer is milliseconds by mistake, not a collector
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
    endpoint: Endpoint = Endpoint("http", "localhost", 4317)  # where the exporter sends
    timeout_s: float = DEFAULT_TIMEOUT_S  # what the exporter waits, retries included
    # Given to the exporter explicitly (None: it reads the environment, as in any app):
    endpoint_override: str | None = None  # --endpoint, or an env URL that carried credentials
    timeout_override: float | None = DEFAULT_TIMEOUT_S  # None when OTEL_*_TIMEOUT is set
    headers_override: dict[str, str] | None = field(default=None, repr=False)  # never printed
    insecure: bool | None = None  # for the probe only: the exporter reads it itself
    certificate: str | None = None  # likewise
    signal: str = "traces"  # traces, logs or metrics

    @property
    def target(self) -> str:
        """host:port, safe to print: no headers, no credentials."""
        return self.endpoint.authority

    @property
    def exports_otlp(self) -> bool:
        return "otlp" in self.exporters

    def with_default_timeout(self, seconds: float) -> ExportSettings:
        """The same, waiting ``seconds`` unless a variable sets the timeout."""
        if self.timeout_override is None:
            return self
        return replace(self, timeout_s=seconds, timeout_override=seconds)

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


def _env(env: Mapping[str, str], name: str, signal: str = "traces") -> tuple[str, str] | None:
    """(variable, value) for OTEL_EXPORTER_OTLP_<SIGNAL>_<name>, else the generic one."""
    for key in (f"OTEL_EXPORTER_OTLP_{signal.upper()}_{name}", f"OTEL_EXPORTER_OTLP_{name}"):
        value = env.get(key)
        if value is not None and value.strip() != "":
            return key, value.strip()
    return None


def parse_endpoint(raw: str, protocol: str = "grpc", append_path: bool = False,
                   source: str = "", signal: str = "traces") -> tuple[Endpoint, str | None]:
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
        if not append_path and signal != "traces" and base.endswith(TRACES_PATH):
            base, append_path = base[: -len(TRACES_PATH)], True  # --endpoint .../v1/traces: its base
        path = base + PATHS[signal] if append_path else (base or PATHS[signal])
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


def _timeout_s(env: Mapping[str, str], signal: str) -> float | None:
    """OTEL_EXPORTER_OTLP_[SIGNAL_]TIMEOUT in seconds, checked; None when unset."""
    found = _env(env, "TIMEOUT", signal)
    if not found:
        return None
    key, raw = found
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(_("{name}={value}: expected a number of seconds (the Python SDK reads "
                              "this variable in seconds)").format(name=key, value=repr(raw))) from None
    if not math.isfinite(value) or not 0 < value <= MAX_TIMEOUT_S:
        raise SettingsError(_("{name}={value}: expected seconds from 0.001 to {most} (the Python SDK "
                              "reads this variable in seconds, not milliseconds)").format(
            name=key, value=repr(raw), most=f"{MAX_TIMEOUT_S:.0f}"))
    return value


def _exporters(flag: str | None, env: Mapping[str, str], signal: str = "traces") -> tuple[str, ...]:
    """``--exporter`` or OTEL_<SIGNAL>_EXPORTER (a list, as the spec allows: console,otlp)."""
    variable = f"OTEL_{signal.upper()}_EXPORTER"
    source = "--exporter" if flag else variable
    raw = flag or env.get(variable, "").strip() or "otlp"
    names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n not in EXPORTERS]
    if unknown or not names:
        raise SettingsError(_("{source}: unknown exporter {name}: choose from {choices} (a "
                              "comma-separated list is allowed)").format(
            source=source, name=", ".join(unknown) or repr(raw), choices=", ".join(EXPORTERS)))
    if "none" in names and len(set(names)) > 1:
        raise SettingsError(_("{source}={value}: 'none' cannot be combined with an exporter").format(
            source=source, value=repr(raw)))
    return tuple(dict.fromkeys(n for n in names if n != "none"))


def _endpoint(flag: str | None, proto: str, env: Mapping[str, str],
              signal: str) -> tuple[Endpoint, str | None, bool]:
    """Where the exporter will send, as the SDK resolves it; the credentials from the URL;
    and whether the exporter must be given the endpoint (a flag, or credentials to take out)."""
    if flag is not None:
        url, credentials = parse_endpoint(flag, proto, source="--endpoint", signal=signal)
        return url, credentials, True
    for key, append in ((f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT", False),
                        ("OTEL_EXPORTER_OTLP_ENDPOINT", True)):
        if env.get(key, "").strip():
            # The generic variable is a base URL: the signal's path is appended (OTLP/HTTP).
            url, credentials = parse_endpoint(env[key], proto, append_path=append, source=key,
                                              signal=signal)
            return url, credentials, credentials is not None
    url, _none = parse_endpoint(DEFAULT_ENDPOINTS[proto], proto, append_path=True, signal=signal)
    return url, None, False


def resolve(exporter: str | None = None, endpoint: str | None = None,
            env: Mapping[str, str] | None = None, protocol: str | None = None,
            signal: str = "traces") -> ExportSettings:
    """Merge flags over environment over defaults; raise SettingsError on bad values."""
    env = os.environ if env is None else env
    exporters = _exporters(exporter, env, signal)
    found = _env(env, "PROTOCOL", signal)
    proto = (protocol or (found[1] if found else "grpc")).lower()
    if proto not in PROTOCOLS:
        raise SettingsError(_("unsupported OTLP protocol {name}: choose one of {choices}").format(
            name=repr(proto), choices=", ".join(PROTOCOLS)))
    url, credentials, explicit = _endpoint(endpoint, proto, env, signal)
    found_headers = _env(env, "HEADERS", signal)
    headers = parse_headers(found_headers[1], found_headers[0]) if found_headers else {}
    compression = (_env(env, "COMPRESSION", signal) or ("", "none"))[1].lower()
    if compression not in COMPRESSIONS:
        raise SettingsError(_("unsupported OTLP compression {name}: choose one of {choices}").format(
            name=repr(compression), choices=", ".join(COMPRESSIONS)))
    certificate = _env(env, "CERTIFICATE", signal)
    if certificate and not os.path.isfile(certificate[1]):
        raise SettingsError(_("{name}: no such certificate file {path}").format(
            name=certificate[0], path=repr(certificate[1])))
    insecure = _env(env, "INSECURE", signal)
    timeout = _timeout_s(env, signal)
    headers_override = None
    if credentials:
        # The exporter takes headers from the environment *or* its argument: give it both.
        headers_override = {"authorization": credentials, **headers}  # an explicit header wins
    return ExportSettings(
        exporters, proto, url, timeout if timeout is not None else DEFAULT_TIMEOUT_S,
        endpoint_override=url.url if explicit else None,
        timeout_override=None if timeout is not None else DEFAULT_TIMEOUT_S,
        headers_override=headers_override,
        insecure=None if insecure is None else insecure[1].lower() == "true",
        certificate=certificate[1] if certificate else None, signal=signal)


def resolve_signals(exporter: str | None = None, endpoint: str | None = None,
                    env: Mapping[str, str] | None = None, protocol: str | None = None,
                    off: bool = False) -> tuple[ExportSettings, ExportSettings, ExportSettings]:
    """Traces, logs and metrics.  Every flag applies to the three signals, as it wins over
    the variables (``--exporter console``: all three on the console; ``off``, --no-export:
    none); without flags each signal reads its own OTEL_<SIGNAL>_EXPORTER and variables."""
    traces = resolve("none" if off else exporter, endpoint, env, protocol)
    logs, metrics = (resolve("none" if off else exporter, endpoint, env, protocol, signal=signal)
                     for signal in ("logs", "metrics"))
    return traces, logs, metrics
