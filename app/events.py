"""Which trainer events are announced to the client, which stop training, and how repeats are held back."""

from __future__ import annotations

from typing import Any

CRITICAL_EVENTS = frozenset({"diverged", "early_stopped", "reinitialized", "loss_changed"})
STOP_EVENTS = frozenset({"diverged", "early_stopped", "no_data"})
EVENT_REPEAT_SECONDS = 5.0
CHANGED_TEXT_SECONDS = 1.0


class EventFilter:
    """Announces trainer events; a kind not in CRITICAL_EVENTS is held back while it repeats itself.

    Within EVENT_REPEAT_SECONDS of the last announcement of its kind, an event is held back when its text is the
    same, or when the text changed but less than CHANGED_TEXT_SECONDS went by.
    """

    def __init__(self) -> None:
        self._sent: dict[str, tuple[str, float]] = {}

    def announce(self, events: list[dict[str, Any]], now: float) -> list[dict[str, Any]]:
        """The `event` messages for `events` at monotonic time `now`, repeats left out."""
        messages: list[dict[str, Any]] = []
        for event in events:
            kind = str(event.get("kind"))
            text = str(event.get("message", ""))
            previous = self._sent.get(kind)
            if kind not in CRITICAL_EVENTS and previous and (
                    previous[0] == text or now - previous[1] < CHANGED_TEXT_SECONDS) \
                    and now - previous[1] < EVENT_REPEAT_SECONDS:
                continue
            self._sent[kind] = (text, now)
            messages.append({"type": "event", **event, "kind": kind, "message": text})
        return messages


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
