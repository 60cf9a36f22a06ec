"""Which trainer events are announced to the client, which stop training, and how repeats are held back."""

from __future__ import annotations

from typing import Any

CRITICAL_EVENTS = frozenset(
    {"diverged", "early_stopped", "reinitialized", "loss_changed", "changed", "applies_on_reset"})
STOP_EVENTS = frozenset({"diverged", "early_stopped", "no_data", "race_over"})
EVENT_REPEAT_SECONDS = 5.0
CHANGED_TEXT_SECONDS = 1.0


OPPOSITES = {"saturated_units": "saturation_cleared", "saturation_cleared": "saturated_units"}


class EventFilter:
    """Announces trainer events; a kind not in CRITICAL_EVENTS is held back while it repeats itself.

    Within EVENT_REPEAT_SECONDS of the last announcement of its kind, an event with the same text is dropped; one
    with a new text waits until CHANGED_TEXT_SECONDS have passed and then goes out (the newest text of its kind), so
    the client never keeps a stale text. Announcing a kind forgets its opposite (OPPOSITES): a saturation that clears
    and comes back at once is announced again.
    """

    def __init__(self) -> None:
        self._sent: dict[str, tuple[str, float]] = {}
        self._held: dict[str, dict[str, Any]] = {}

    def announce(self, events: list[dict[str, Any]], now: float) -> list[dict[str, Any]]:
        """The `event` messages for `events` at monotonic time `now`, plus held-back texts now due; repeats left out."""
        messages: list[dict[str, Any]] = []
        for event in events:
            kind = str(event.get("kind"))
            text = str(event.get("message", ""))
            previous = self._sent.get(kind)
            if kind not in CRITICAL_EVENTS and previous and now - previous[1] < EVENT_REPEAT_SECONDS:
                if previous[0] == text:
                    self._held.pop(kind, None)
                    continue
                if now - previous[1] < CHANGED_TEXT_SECONDS:
                    self._held[kind] = event
                    continue
            messages.append(self._send(kind, event, now))
        for kind in [k for k in self._held if now - self._sent[k][1] >= CHANGED_TEXT_SECONDS]:
            messages.append(self._send(kind, self._held[kind], now))
        return messages

    def _send(self, kind: str, event: dict[str, Any], now: float) -> dict[str, Any]:
        text = str(event.get("message", ""))
        self._held.pop(kind, None)
        self._sent[kind] = (text, now)
        if kind in OPPOSITES:
            self._sent.pop(OPPOSITES[kind], None)
            self._held.pop(OPPOSITES[kind], None)
        return {"type": "event", **event, "kind": kind, "message": text}


def stops(events: list[dict[str, Any]]) -> bool:
    """True if one of `events` means training must stop (diverged, early stop, no data)."""
    return any(str(event.get("kind")) in STOP_EVENTS for event in events)


def stop_reason(events: list[dict[str, Any]]) -> str:
    """The `reason` of the state message sent when `events` stopped training."""
    return "training stopped: " + ", ".join(
        str(event.get("kind")) for event in events if event.get("kind") in STOP_EVENTS)


def diverged(events: list[dict[str, Any]]) -> bool:
    """True if one of `events` says the loss diverged."""
    return any(str(event.get("kind")) == "diverged" for event in events)
