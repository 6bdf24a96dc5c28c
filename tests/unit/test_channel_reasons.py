"""The WhatsApp channel's English reasons (kept in its events for ever) read back as codes with
parameters, which the panel says in the reader's language; a gateway's own words stay data."""

from __future__ import annotations

from api.graphql.channel.reasons import Reason, reason_of


def test_the_systems_own_sentences_read_as_codes_with_their_parameters() -> None:
    assert reason_of("Linked as +79161234567 on Pixel 7.") == Reason(
        "LINKED_ON", {"phone": "+79161234567", "device": "Pixel 7"})
    assert reason_of("QR code 2 of 6 is shown: scan it with the company's phone.") == Reason(
        "QR_SHOWN", {"sequence": 2, "of": 6})
    assert reason_of("In service; employees may not write first.").code == "IN_SERVICE"
    assert reason_of("3 message(s) kept while out of service were delivered to the "
                     "operators.") == Reason("HELD_RELEASED", {"count": 3})


def test_a_wrapped_reason_is_read_inside_and_a_gateways_words_stay_as_they_are() -> None:
    attempt = reason_of("Attempt 2: Reconnecting failed: The gateway is FAILED.")
    assert attempt.as_params() == {"attempt": 2, "inner": {
        "code": "RECONNECT_FAILED", "params": {"inner": {
            "code": "GATEWAY_STATUS", "params": {"status": "FAILED"}}}}}
    assert reason_of("Session is not ready (401)") == Reason(
        "GATEWAY", {"text": "Session is not ready (401)"})
    assert reason_of("  ").code == "EMPTY"
