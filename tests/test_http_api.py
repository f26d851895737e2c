"""serve's request checks, in-process: what a body, a path, a header may be (no server).

The same cases go over real HTTP in test_serve.py; here each rule is named once.
"""
from __future__ import annotations

import pytest

from simulate.runs.http_api import (
    MAX_BODY,
    HttpError,
    Request,
    body_length,
    parse_optimize,
    parse_order,
    route,
    world_request,
)
from simulate.runs.serve import is_loopback
from simulate.world.scenarios import default_order


def refused(call, *args) -> HttpError:
    with pytest.raises(HttpError) as caught:
        call(*args)
    return caught.value


def test_an_empty_object_or_an_empty_body_is_the_seeds_order():
    assert parse_order(b"{}") == default_order()
    assert parse_order(b"") == default_order()
    order = parse_order(b'{"item_id": "sku-0000", "user_id": "user-0", "quantity": 3, "amount": 5}')
    assert (order.item_id, order.user_id, order.quantity, order.amount) == ("sku-0000", "user-0", 3, 5.0)


@pytest.mark.parametrize("body,says", [
    (b"{bad", "malformed JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (b'"order"', "must be a JSON object"),
    (b"\xff\xfe", "not UTF-8"),
    (b'{"quantity": -1}', "quantity: expected an integer from 1"),
    (b'{"quantity": 0}', "quantity"),
    (b'{"quantity": 1.5}', "quantity"),
    (b'{"quantity": true}', "quantity"),
    (b'{"quantity": "2"}', "quantity"),
    (b'{"amount": -5}', "amount"),
    (b'{"amount": NaN}', "malformed JSON: NaN is not a JSON number"),
    (b'{"amount": 1e400}', "amount"),
    (b'{"item_id": 7}', "item_id: expected an id"),
    (b'{"user_id": ""}', "user_id"),
    (b'{"user_id": "<script>"}', "user_id"),
    (b'{"item_id": "' + b"x" * 65 + b'"}', "item_id"),
    (b'{"coupon": "FREE"}', "unknown field 'coupon'"),
    (b"[" * 100_000, "malformed JSON"),
    (b'{"quantity": ' + b"9" * 5000 + b"}", "malformed JSON"),
])
def test_bad_bodies_are_400_with_the_reason(body, says):
    error = refused(parse_order, body)
    assert error.status == 400 and says in error.message
    assert error.reply().status == 400 and b'"error":"BadRequest"' in error.reply().body


@pytest.mark.parametrize("headers,status", [
    ({}, 411),
    ({"transfer-encoding": "chunked"}, 411),
    ({"content-length": "abc"}, 400),
    ({"content-length": "-1"}, 400),
    ({"content-length": str(MAX_BODY + 1)}, 413),
])
def test_the_length_is_checked_before_the_body_is_read(headers, status):
    error = refused(body_length, headers)
    assert error.status == status and error.close  # the connection is not reused after it
    assert body_length({"content-length": str(MAX_BODY)}) == MAX_BODY


def test_routes_404_405_with_allow_and_head_where_get_is():
    assert route("POST", "/api/orders") == ("place", ())
    assert route("GET", "/api/orders/order-1234") == ("order", ("order-1234",))
    assert route("HEAD", "/") == ("page", ())
    assert route("GET", "/api/traces/" + "a" * 32) == ("trace", ("a" * 32,))
    assert refused(route, "GET", "/nope").status == 404
    assert refused(route, "GET", "/api/traces/xyz").status == 404
    wrong = refused(route, "GET", "/api/orders")
    assert wrong.status == 405 and wrong.headers == {"Allow": "POST"}
    assert refused(route, "POST", "/").headers == {"Allow": "GET, HEAD"}


def test_optimisations_per_request_from_the_query_or_a_header():
    assert parse_optimize("optimize=parallel,cache", None) == {"parallel", "cache"}
    assert parse_optimize("", "async") == {"async"}
    assert parse_optimize("optimize=all", "async") == {"parallel", "cache", "async"}  # query wins
    assert parse_optimize("optimize=", None) == frozenset()
    error = refused(parse_optimize, "optimize=turbo", None)
    assert error.status == 400 and "turbo" in error.message and "--optimize" not in error.message


def test_the_real_request_becomes_the_worlds_with_host_and_user_agent():
    request = Request("POST", "/api/orders", "", {"host": "127.0.0.1:9000", "user-agent": "curl/8"},
                      b"", "127.0.0.1", 8080)
    world = world_request(default_order(), request)
    assert (world.host, world.port, world.user_agent, world.path) == ("127.0.0.1", 9000, "curl/8",
                                                                      "/api/orders")
    odd = Request("POST", "/api/orders", "", {"host": "[::1"}, b"", "127.0.0.1", 8080)
    assert (world_request(default_order(), odd).host, world_request(default_order(), odd).port) == (
        "127.0.0.1", 8080)


@pytest.mark.parametrize("host,loopback", [("127.0.0.1", True), ("::1", True), ("localhost", True),
                                           ("127.0.0.2", True), ("0.0.0.0", False), ("::", False),
                                           ("example.org", False)])
def test_a_warning_when_the_address_is_not_loopback(host, loopback):
    assert is_loopback(host) is loopback
