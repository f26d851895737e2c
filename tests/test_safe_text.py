from simulate.safe_text import printable


def test_control_bytes_are_escaped():
    assert printable("a\x1b[31mred\x07\nline\x9b") == "a\\x1b[31mred\\x07\\x0aline\\x9b"


def test_bidi_overrides_are_escaped():
    assert printable("abc\u202edef\u2066") == "abc\\u202edef\\u2066"


def test_long_text_is_bounded_with_its_length():
    shown = printable("x" * 60_000, limit=300)
    assert len(shown) == 300
    assert shown.endswith("… (60,000 chars)")


def test_cjk_and_emoji_pass_unchanged():
    assert printable("库存不足 ❌") == "库存不足 ❌"


def test_escaping_cannot_push_past_the_limit():
    shown = printable("\x1b" * 1000, limit=100)
    assert len(shown) <= 100 and "\x1b" not in shown


def test_urls_in_the_sdks_log_lines_are_masked_as_the_endpoint_is():
    from simulate.tracing.sdk_logs import mask

    line = "export to http://admin:p@ss@collector:4318/v1/traces?token=T0KEN failed (key=HDR-SECRET)"
    shown = mask(line, ["HDR-SECRET"])
    assert shown == "export to http://***@collector:4318/v1/traces?token=*** failed (key=***)"
