"""Every channel adapter this build knows, by its `build` function: one line each. A `build`
answers its channel when the settings make it active here, else None."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from application.channels import Channel, Channels
from infra.channels import cloud, simulator, telegram, waha
from infra.channels.context import ChannelContext

Build = Callable[[ChannelContext], Channel | None]

REGISTERED: tuple[Build, ...] = (
    simulator.build,
    waha.build,
    cloud.build,
    telegram.build,
)


def build_channels(ctx: ChannelContext, extra: Iterable[Build] = ()) -> Channels:
    """The channels active here; `extra` adds channels built elsewhere (tests)."""
    built = (build(ctx) for build in (*REGISTERED, *extra))
    return Channels(channel for channel in built if channel is not None)
