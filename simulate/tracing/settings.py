"""Where spans go: exporter settings from flags and OTEL_* variables.

Precedence: command-line flag > signal-specific ``OTEL_EXPORTER_OTLP_TRACES_*`` >
generic ``OTEL_EXPORTER_OTLP_*`` > default, as the OpenTelemetry specification
says.  ``OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT`` is read in **milliseconds**, per
the specification (the Python SDK alone reads it in seconds); ordertrace passes
seconds to the SDK exporter explicitly.  The default is 1000 ms rather than the
spec's 10 s so that a missing collector never stalls a demo run.  Headers
(often credentials) are passed to the exporter and never printed.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

EXPORTERS = ("otlp", "console", "none")
PROTOCOLS = ("grpc", "http/protobuf")
COMPRESSIONS = ("none", "gzip")
DEFAULT_ENDPOINTS = {"grpc": "http://localhost:4317", "http/protobuf": "http://localhost:4318"}
DEFAULT_ENDPOINT = DEFAULT_ENDPOINTS["grpc"]
TRACES_PATH = "/v1/traces"
DEFAULT_TIMEOUT_MS = 1000


class SettingsError(ValueError):
    """Bad configuration: the CLI turns it into a one-line error and exit code 2."""


@dataclass(frozen=True)
class ExportSettings:
    exporter: str = "otlp"
    protocol: str = "grpc"
    endpoint: str = DEFAULT_ENDPOINT  # for http/protobuf: the full URL including /v1/traces
    timeout_ms: float = DEFAULT_TIMEOUT_MS
    insecure: bool | None = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # never printed
    compression: str = "none"
    certificate: str | None = None
    # Retry a refused connection? Off for a single run: no collector should cost
    # nothing; a load run turns it on to ride out a collector restart.
    retry_unavailable: bool = False

    @property
    def target(self) -> str:
        """host:port, safe to print: no headers, and no user:password@ from the URL."""
        parsed = urlparse(self.endpoint)
        return f"{parsed.hostname}:{parsed.port}" if parsed.port else str(parsed.hostname)


def _env(env: Mapping[str, str], name: str) -> tuple[str, str] | None:
    """(variable, value) for OTEL_EXPORTER_OTLP_TRACES_<name>, else the generic one."""
    for key in (f"OTEL_EXPORTER_OTLP_TRACES_{name}", f"OTEL_EXPORTER_OTLP_{name}"):
        value = env.get(key)
        if value is not None and value.strip() != "":
            return key, value.strip()
    return None


def normalise_endpoint(endpoint: str, protocol: str = "grpc", append_path: bool = False) -> str:
    """Accept ``http(s)://host:port[/path]`` (or bare ``host:port``); reject anything else."""
    value = endpoint.strip()
    if "://" not in value:
        value = "http://" + value
    parsed = urlparse(value)
    try:
        port = parsed.port
    except ValueError:
        port = -1
    if parsed.scheme not in ("http", "https") or not parsed.hostname or port == -1:
        raise SettingsError(f"invalid OTLP endpoint {endpoint!r}: expected http(s)://host:port")
    base = f"{parsed.scheme}://{parsed.netloc}"
    if protocol == "grpc":
        if parsed.path not in ("", "/"):
            raise SettingsError(f"invalid OTLP gRPC endpoint {endpoint!r}: a gRPC endpoint has no path")
        return base
    path = parsed.path.rstrip("/")
    return base + (path + TRACES_PATH if append_path else (path or TRACES_PATH))


def _timeout_ms(env: Mapping[str, str]) -> float:
    found = _env(env, "TIMEOUT")
    if not found:
        return DEFAULT_TIMEOUT_MS
    key, raw = found
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{key}={raw!r}: expected a number of milliseconds") from None
    if value <= 0:
        raise SettingsError(f"{key}={raw!r}: must be > 0 (milliseconds)")
    return value


def parse_headers(raw: str) -> dict[str, str]:
    """``key=value,key2=value2`` (values percent-decoded), as the specification's W3C
    Baggage-style format says.  Entries without ``=`` are skipped."""
    headers: dict[str, str] = {}
    for entry in raw.split(","):
        key, sep, value = entry.partition("=")
        if sep and key.strip():
            headers[unquote(key.strip()).lower()] = unquote(value.strip())
    return headers


def resolve(exporter: str | None = None, endpoint: str | None = None,
            env: Mapping[str, str] | None = None, protocol: str | None = None) -> ExportSettings:
    """Merge flags over environment over defaults; raise SettingsError on bad values."""
    env = os.environ if env is None else env
    chosen = exporter or env.get("OTEL_TRACES_EXPORTER", "otlp").split(",")[0].strip().lower() or "otlp"
    if chosen not in EXPORTERS:
        raise SettingsError(f"unknown traces exporter {chosen!r}: choose one of {', '.join(EXPORTERS)}")
    found = _env(env, "PROTOCOL")
    proto = (protocol or (found[1] if found else "grpc")).lower()
    if proto not in PROTOCOLS:
        raise SettingsError(f"unsupported OTLP protocol {proto!r}: choose one of {', '.join(PROTOCOLS)}")
    if endpoint:
        url = normalise_endpoint(endpoint, proto)
    elif env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip():
        url = normalise_endpoint(env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"], proto)  # used as is
    elif env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip():
        # The generic variable is a base URL: the spec appends the signal's path.
        url = normalise_endpoint(env["OTEL_EXPORTER_OTLP_ENDPOINT"], proto, append_path=True)
    else:
        url = normalise_endpoint(DEFAULT_ENDPOINTS[proto], proto, append_path=True)
    insecure = _env(env, "INSECURE")
    headers = _env(env, "HEADERS")
    compression = (_env(env, "COMPRESSION") or ("", "none"))[1].lower()
    if compression not in COMPRESSIONS:
        raise SettingsError(f"unsupported OTLP compression {compression!r}: choose one of "
                            f"{', '.join(COMPRESSIONS)}")
    certificate = _env(env, "CERTIFICATE")
    if certificate and not os.path.isfile(certificate[1]):
        raise SettingsError(f"{certificate[0]}: no such certificate file {certificate[1]!r}")
    return ExportSettings(
        chosen, proto, url, _timeout_ms(env),
        None if insecure is None else insecure[1].lower() == "true",
        parse_headers(headers[1]) if headers else {},
        compression, certificate[1] if certificate else None)
