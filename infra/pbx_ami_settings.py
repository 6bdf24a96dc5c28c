"""Call back's settings, a mixin of the one settings object (`SWITCHBOARD_PBX_AMI_*`): the
Asterisk Manager Interface that MikoPBX exposes (TCP 5038).

- `HOST`, `PORT` (5038), `USER`, `SECRET`: the AMI user (MikoPBX: "System → Asterisk Manager
  Interface (AMI)"; it needs the `originate` write and `call` read permissions). Without host,
  user and secret, call back is refused with PBX_NOT_CONFIGURED.
- `CHANNEL`: the operator's leg, `{extension}` being their extension. MikoPBX's own example
  (mikopbx/DevelopementDocs `api/ami-ajam.md`: "Originate a call from 201 to 203") uses
  `Local/201@internal-originate` with `Context: all_peers`; `PJSIP/{extension}` rings the phone
  directly.
- `CONTEXT`: where the PBX dials the client's number once the operator answers (MikoPBX:
  `all_peers`, which reaches the outgoing routes).
- `DIAL_RULES`: how a client's E.164 number is dialled, as `prefix=replacement` rules tried in
  order; the first whose prefix the number starts with replaces it, none matching leaves the
  number as it is. Default `+7=8,+=810`: Russian numbers as 8XXXXXXXXXX, others with 810;
  `+=+` (or empty) dials E.164 as it is.
- `RING_SECONDS`: how long the operator's phone rings (Originate's `Timeout`).
- `TIMEOUT_SECONDS`: how long each answer of the PBX may take (connecting, the banner, login,
  "queued"), and how long past the ringing the outcome may take: past it the call is failed
  with "no answer from the PBX"."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.calls import parse_rules


class PbxAmiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SWITCHBOARD_", extra="ignore")

    pbx_ami_host: str = Field(default="", description="The PBX's AMI host; empty: no call back")
    pbx_ami_port: int = Field(default=5038, ge=1, le=65535)
    pbx_ami_user: str = ""
    pbx_ami_secret: str = ""
    pbx_ami_channel: str = Field(default="Local/{extension}@internal-originate",
                                 pattern=r"^[^\r\n]*\{extension\}[^\r\n]*$")
    pbx_ami_context: str = Field(default="all_peers", pattern=r"^[A-Za-z0-9_-]{1,80}$")
    pbx_ami_dial_rules: str = Field(default="+7=8,+=810", max_length=500)
    pbx_ami_ring_seconds: float = Field(default=30.0, gt=0, le=300)
    pbx_ami_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    @model_validator(mode="after")
    def check_dial_rules(self) -> Self:
        try:
            parse_rules(self.pbx_ami_dial_rules)
        except ValueError as error:
            raise ValueError(f"SWITCHBOARD_PBX_AMI_DIAL_RULES: {error}") from error
        for name in ("pbx_ami_host", "pbx_ami_user", "pbx_ami_secret"):
            if any(ch in getattr(self, name) for ch in "\r\n"):
                raise ValueError(f"SWITCHBOARD_{name.upper()} is one line.")
        return self

    @property
    def pbx_ami_configured(self) -> bool:
        return bool(self.pbx_ami_host.strip() and self.pbx_ami_user and self.pbx_ami_secret)
