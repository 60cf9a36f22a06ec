"""How a command's failure is answered: a refused value is `rejected` with the field its exception names; anything
else is a bug, logged at error level with its traceback and answered `internal` (the session carries on)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from app import protocol
from app.http.api import describe
from app.sessions import commands
from app.sessions.runtime import Runtime
from app.sessions.session import Session, new_trainer
from app.settings import Settings
from app.slots import open_slots
from engine.views.timeline import Timeline


async def _close(code: int, reason: str) -> None:
    return None


@pytest.fixture
def session():
    settings = Settings()
    pool = ThreadPoolExecutor(1)
    runtime = Runtime(settings, pool, open_slots(settings), describe(settings))
    live = Session(runtime, None, _close)
    live.trainer = new_trainer(settings, Timeline())
    yield live
    pool.shutdown()
    runtime.slots.close()


def answer(session: Session, text: str) -> list[dict]:
    out: list[dict] = []
    commands.apply(session, protocol.parse(text), out)
    return out


@pytest.mark.parametrize(("text", "field"), [
    ('{"type": "config", "points": 3}', "points"),
    ('{"type": "config", "dataset": "spiral_k", "classes": 9}', "classes"),
    ('{"type": "load_csv", "csv": "x,y,label\\n1,2,7"}', "csv"),
    ('{"type": "add_point", "x": 1, "y": 1, "label": 0.5}', "point"),
    ('{"type": "set_weight", "layer": 9, "row": 0, "value": 1}', "layer"),
    ('{"type": "trace", "index": 100000}', "index"),
])  # fmt: skip
def test_a_refused_value_is_rejected_naming_the_field_its_exception_carries(session, text, field, caplog):
    with caplog.at_level(logging.ERROR):
        out = answer(session, text)
    errors = [m for m in out if m["type"] == "error"]
    assert [(e["code"], e["field"]) for e in errors] == [("rejected", field)]
    assert caplog.records == []


def test_an_engine_bug_is_logged_with_its_traceback_and_answered_internal(session, caplog):
    session.trainer.config = {}  # a broken trainer, as a bug would leave it: a KeyError inside the engine
    with caplog.at_level(logging.ERROR, logger="playground.session"):
        out = answer(session, '{"type": "config", "learning_rate": 0.1, "id": 7}')
    assert [(m["type"], m["code"], m["field"], m["id"]) for m in out] == [("error", "internal", None, 7)]
    assert "KeyError" in out[0]["message"]
    [record] = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info and record.exc_info[0] is KeyError
    after = answer(session, '{"type": "config", "points": 3}')  # the session still answers
    assert after[0]["code"] == "rejected"
