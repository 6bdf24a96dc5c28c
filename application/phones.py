"""Phone numbers as clients and gateways write them, normalised to E.164."""

from __future__ import annotations

import phonenumbers

from application.errors import InvalidValue


def to_e164(raw: str, region: str = "RU") -> str:
    text = raw.strip().split("@", 1)[0]  # WhatsApp ids look like 79161234567@c.us
    if text.isdigit() and len(text) > 10:  # a bare international number
        text = "+" + text
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidValue(f"'{raw}' is not a phone number.", field="phone") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidValue(f"'{raw}' is not a possible phone number.", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
