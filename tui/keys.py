"""Keys applied in the order they were typed, however fast they come.

Textual forwards a key to the focused widget and runs the bindings (Backspace in an input,
Tab to the next field) only when the key bubbles back up to the app. In a burst — fast
typing, a paste of keys over SSH, a busy machine — the letters typed after a Backspace or a
Tab reach the widget before that binding runs: ``5``, Backspace, ``1``, Tab, ``Whole``
became ``51Whol`` with its last letter deleted. :class:`OneKeyAtATime` holds each key back
until the one before it is done: stopped by a widget, or back at the app with its bindings
run.
"""

from __future__ import annotations

from collections import deque
from functools import partial
from typing import TYPE_CHECKING

from textual import events
from textual.app import App
from textual.timer import Timer

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

STALL_SECONDS = 10.0
"""How long a key may take before the next one goes anyway: a last resort for a widget
removed with the key in its queue (a closed widget is noticed at once)."""


class OneKeyAtATime(App[None]):
    """An app that hands the focused widget one key at a time, in the order typed."""

    def __init__(self) -> None:
        super().__init__()
        self._typed: deque[events.Key] = deque()
        self._in_flight: events.Key | None = None
        self._stall: Timer | None = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:  # from the terminal
            self._typed.append(event)
            if self._in_flight is None:
                await self._next_key()
            return
        await super().on_event(event)
        if isinstance(event, events.Key):  # back at the app, its bindings run: done
            await self._resume(event)

    @property
    def keys_pending(self) -> int:
        """Keys typed and not yet done (the one in flight included)."""
        return len(self._typed) + (self._in_flight is not None)

    async def _next_key(self) -> None:
        while self._typed and self._in_flight is None:
            key = self._typed.popleft()
            self._in_flight = key
            await super().on_event(key)  # a priority binding, or forwarded to the focused widget
            if not key.is_forwarded:
                self._in_flight = None
                continue
            self._stall = self.set_timer(STALL_SECONDS, partial(self._resume, key))
            self._follow(key, self.focused or self.screen)

    def _follow(self, key: events.Key, node: MessagePump) -> None:
        """After ``node`` has handled the key: done if it stopped there, else follow it up."""
        def handled() -> None:
            if key is not self._in_flight:
                return
            parent = node._parent
            if key._stop_propagation or parent is None:
                self.call_later(self._resume, key)
            elif parent is not self:  # the app's own on_event sees it arrive
                self._follow(key, parent)

        if not node.call_later(handled):  # the widget is closed: the key went nowhere
            self.call_later(self._resume, key)

    async def _resume(self, key: events.Key) -> None:
        """The key is done (a later word about a key already done changes nothing)."""
        if key is not self._in_flight:
            return
        if self._stall is not None:
            self._stall.stop()
            self._stall = None
        self._in_flight = None
        await self._next_key()
