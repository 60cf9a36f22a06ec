"""Which trainer events are announced: critical kinds always, other kinds not while they repeat themselves."""

from __future__ import annotations

from app.events import EVENT_REPEAT_SECONDS, EventFilter, diverged, stop_reason, stops


def event(kind: str, message: str = "text", **extra: object) -> dict[str, object]:
    return {"kind": kind, "message": message, **extra}


def test_an_event_becomes_an_event_message_with_its_extra_fields():
    messages = EventFilter().announce([event("dead_units", "2 dead", layer=1)], now=10.0)
    assert messages == [{"type": "event", "kind": "dead_units", "message": "2 dead", "layer": 1}]


def test_the_same_text_is_held_back_until_the_repeat_time_has_passed():
    f = EventFilter()
    assert len(f.announce([event("dead_units", "2 dead")], now=10.0)) == 1
    assert f.announce([event("dead_units", "2 dead")], now=10.0 + EVENT_REPEAT_SECONDS - 0.1) == []
    assert len(f.announce([event("dead_units", "2 dead")], now=10.0 + EVENT_REPEAT_SECONDS)) == 1


def test_a_new_text_waits_one_second_then_goes_out():
    f = EventFilter()
    f.announce([event("dead_units", "2 dead")], now=10.0)
    assert f.announce([event("dead_units", "3 dead")], now=10.5) == []
    assert f.announce([event("dead_units", "3 dead")], now=11.0)[0]["message"] == "3 dead"


def test_kinds_are_held_back_separately():
    f = EventFilter()
    f.announce([event("dead_units")], now=10.0)
    assert [m["kind"] for m in f.announce([event("dead_units"), event("saturated_units")], now=10.1)] == [
        "saturated_units"]


def test_critical_events_are_never_held_back():
    f = EventFilter()
    for kind in ("diverged", "early_stopped", "reinitialized", "loss_changed"):
        assert len(f.announce([event(kind)], now=10.0)) == 1
        assert len(f.announce([event(kind)], now=10.0)) == 1


def test_kind_and_message_become_text():
    assert EventFilter().announce([{"kind": None}], now=1.0) == [{"type": "event", "kind": "None", "message": ""}]


def test_stop_events_and_the_reason_that_names_them():
    events = [event("dead_units"), event("diverged"), event("early_stopped")]
    assert stops(events) and not stops([event("dead_units")]) and stops([event("no_data")])
    assert stop_reason(events) == "training stopped: diverged, early_stopped"
    assert diverged(events) and not diverged([event("early_stopped")])
