"""Which trainer events are announced: critical kinds always, other kinds not while they repeat themselves."""

from __future__ import annotations

from app.sessions.events import EVENT_REPEAT_SECONDS, EventFilter, diverged, stop_reason, stops


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


def test_a_held_back_text_goes_out_when_due_even_if_its_kind_never_fires_again():
    f = EventFilter()
    f.announce([event("dead_units", "2 dead")], now=10.0)
    assert f.announce([event("dead_units", "3 dead"), event("dead_units", "4 dead")], now=10.2) == []
    assert f.announce([], now=10.9) == []
    assert [m["message"] for m in f.announce([], now=11.0)] == ["4 dead"]
    assert f.announce([], now=12.0) == []


def test_a_held_back_text_is_dropped_when_the_announced_text_is_true_again():
    f = EventFilter()
    f.announce([event("dead_units", "2 dead")], now=10.0)
    f.announce([event("dead_units", "3 dead")], now=10.2)
    assert f.announce([event("dead_units", "2 dead")], now=10.4) == []
    assert f.announce([], now=11.5) == []


def test_a_saturation_that_clears_and_comes_back_is_announced_each_time():
    f = EventFilter()
    kinds = [m["kind"] for t, k in [(10.0, "saturated_units"), (10.5, "saturation_cleared"),
                                   (11.0, "saturated_units"), (11.5, "saturation_cleared")]
             for m in f.announce([event(k, k)], now=t)]
    assert kinds == ["saturated_units", "saturation_cleared", "saturated_units", "saturation_cleared"]


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
