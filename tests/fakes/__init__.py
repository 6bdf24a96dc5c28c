"""Fake peers that tests start on loopback: real HTTP servers following the peers' documented
APIs and payloads (WAHA, Meta's Graph API)."""
