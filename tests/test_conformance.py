"""Every attribute key on every span is a current semantic-convention key or one of ours,
and each kind of span carries what its convention requires."""
from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import opentelemetry.semconv._incubating.attributes as incubating
import opentelemetry.semconv.attributes as stable
import pytest
from opentelemetry.trace import SpanKind

from conftest import run_flow
from simulate.world.attributes import OWN_KEYS
from simulate.world.profile import OPTIMIZATIONS, profile_for

_DEPRECATED = re.compile(r"^\s*Deprecated:", re.M)


def semconv_keys() -> tuple[set[str], set[str]]:
    """(current keys, deprecated keys) from the installed semantic-conventions package.

    A deprecated constant is marked with ``@deprecated`` (typing_extensions) in the
    generated source, or a ``Deprecated:`` docstring line; read the source to find it."""
    current, deprecated = set(), set()
    for package in (stable, incubating):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            source = Path(str(module.__file__)).read_text(encoding="utf-8")
            for match in re.finditer(r'^([A-Z0-9_]+): Final = "([^"]+)"\n(?:"""(.*?)""")?',
                                     source, re.M | re.S):
                name, key, doc = match.group(1), match.group(2), match.group(3) or ""
                if "{" in key or name.endswith("_TEMPLATE"):
                    continue
                # "Deprecated in favor of stable ..." marks the incubating copy of a stable
                # key: the key itself is current.
                (deprecated if _DEPRECATED.search(doc)
                 else current).add(key)
    return current - deprecated, deprecated


CURRENT, DEPRECATED = semconv_keys()


def problems(key: str) -> str | None:
    """Every key is checked: a deprecated name fails even if it looks like one of ours."""
    if key in DEPRECATED:
        return f"{key}: deprecated semantic convention"
    if key not in CURRENT and key not in OWN_KEYS:
        return f"{key}: not a semantic convention key (typo?) nor one of ours (OWN_KEYS)"
    return None


def test_our_own_keys_never_shadow_a_semantic_convention():
    """A key of ours that semconv defines should be imported from semconv, not declared."""
    assert [key for key in OWN_KEYS if key in CURRENT or key in DEPRECATED] == []


REQUIRED = {
    # (kind, marker attribute): required keys, per the HTTP / DB / messaging conventions
    (SpanKind.SERVER, "http.request.method"): {"http.request.method", "url.path", "url.scheme",
                                               "http.route", "http.response.status_code"},
    (SpanKind.CLIENT, "http.request.method"): {"http.request.method", "server.address", "url.full",
                                               "http.response.status_code"},
    (SpanKind.CLIENT, "db.system.name"): {"db.system.name", "db.query.text", "db.operation.name",
                                          "db.collection.name"},
    (SpanKind.PRODUCER, None): {"messaging.system", "messaging.destination.name",
                                "messaging.operation.type"},
    (SpanKind.CONSUMER, None): {"messaging.system", "messaging.destination.name",
                                "messaging.operation.type", "messaging.consumer.group.name"},
}


def all_spans():
    for scenario in ("none", "inventory", "payment"):
        for opts in (frozenset(), frozenset(OPTIMIZATIONS)):
            yield from run_flow(scenario, profile=profile_for(opts), optimizations=opts,
                                consume=True).spans


def test_the_checker_knows_the_package():
    assert {"http.request.method", "db.query.text", "messaging.operation.type"} <= CURRENT
    assert {"db.statement", "http.method"} <= DEPRECATED


@pytest.mark.parametrize("key", ["db.statement", "http.method", "http.reponse.status_code",
                                 "messaging.destination"])
def test_the_checker_rejects_deprecated_names_and_typos(key):
    assert problems(key) is not None


def test_every_attribute_on_every_span_conforms():
    found = [(span.name, p) for span in all_spans() for key in span.attributes
             if (p := problems(key))]
    assert found == []


# The SDK's record_exception always writes exception.escaped (deprecated in semconv);
# that key is the SDK's, not ours, so it is the one exemption on events.
SDK_WRITTEN = {"exception.escaped"}


def test_every_event_attribute_conforms():
    found = [(span.name, event.name, p) for span in all_spans() for event in span.events
             for key in event.attributes if key not in SDK_WRITTEN and (p := problems(key))]
    assert found == []
    assert any(e.name == "exception" for s in all_spans() for e in s.events)  # events were seen


def test_every_resource_attribute_conforms():
    resource = next(iter(all_spans())).resource
    assert [p for key in resource.attributes if (p := problems(key))] == []


def test_required_attributes_per_span_kind_are_present():
    checked = set()
    for span in all_spans():
        for (kind, marker), required in REQUIRED.items():
            if span.kind == kind and (marker is None or marker in span.attributes):
                missing = required - set(span.attributes)
                # a failed request may end before a response code exists
                assert not missing or missing == {"http.response.status_code"} and \
                    span.status.status_code.name == "ERROR", (span.name, missing)
                checked.add((kind, marker))
    assert checked == set(REQUIRED)  # every rule was exercised
