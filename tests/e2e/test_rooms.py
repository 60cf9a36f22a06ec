"""A class in real Chromium: a teacher page and three student pages (separate browser contexts) through follow,
hands-on and challenge, with screenshots in test-artifacts/room-*.png."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from tests.e2e.conftest import Playground

pytestmark = pytest.mark.timeout(240)
STUDENTS = ("ann", "bob", "cy")


def open_page(browser, stack: ExitStack, url: str, suffix: str = "") -> Playground:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    stack.callback(context.close)
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return Playground(page, url).open(suffix)


def test_a_teacher_and_three_students_walk_follow_hands_on_and_challenge(server, browser, artifacts):
    with ExitStack() as stack:
        teacher = open_page(browser, stack, server.url)
        teacher.page.click("#room-start")
        teacher.wait("__playground.room.info?.role === 'teacher'")
        code = teacher.page.text_content("#room-code-shown")
        students = {}
        for name in STUDENTS:
            student = open_page(browser, stack, server.url, f"r/{code}")
            student.page.fill("#room-nickname", name)
            student.page.click("#room-join")
            student.wait("__playground.room.info?.role === 'student'")
            students[name] = student
        teacher.wait("document.querySelectorAll('#room-dashboard tr[data-student]').length === 3")

        # follow: the teacher's changes and training show on every student page, whose controls are inert
        teacher.set("learning_rate", "0.1")
        teacher.page.click("#play")
        for student in students.values():
            student.wait("__playground.config.learning_rate === 0.1 && __playground.step > 0")
            assert student.get("document.querySelector('#controls').inert && document.querySelector('.runbar').inert")
            assert student.get("document.body.classList.contains('room-read-only')")
        teacher.page.click("#play")  # pause
        teacher.wait("__playground.state === 'idle'")
        step = teacher.get("__playground.step")
        for student in students.values():
            student.wait(f"__playground.step === {step}")
        teacher.page.screenshot(path=str(artifacts / "room-teacher-follow.png"))
        students["ann"].page.screenshot(path=str(artifacts / "room-student-follow.png"))

        # hands-on: each student's own copy, the teacher's exact weights, controls their own
        teacher_params = teacher.get("__playground.lastParams")
        teacher.page.click("button[data-mode=hands_on]")
        for student in students.values():
            student.wait("__playground.room.info?.mode === 'hands_on' && !document.querySelector('#controls').inert")
            student.wait(f"__playground.step === {step}")
            assert student.get("__playground.lastParams") == teacher_params
        students["bob"].page.click("#step")
        students["bob"].wait(f"__playground.step === {step + 1}")
        assert teacher.get("__playground.step") == step and students["ann"].get("__playground.step") == step
        students["bob"].page.screenshot(path=str(artifacts / "room-student-hands-on.png"))

        # spotlight: everyone, the teacher too, follows bob's session; "Follow me" ends it
        teacher.page.click("[data-action=spotlight][data-student=bob]")
        for viewer in (teacher, students["ann"]):
            viewer.wait(f"__playground.room.info?.spotlight === 'bob' && __playground.step === {step + 1}")
            assert viewer.get("document.querySelector('#controls').inert")
        assert not students["bob"].get("document.querySelector('#controls').inert")
        students["ann"].page.screenshot(path=str(artifacts / "room-student-spotlight.png"))
        teacher.page.click("button[data-mode=follow]")
        for viewer in (teacher, students["bob"]):
            viewer.wait(f"__playground.room.info?.spotlight === null && __playground.step === {step}")
        assert not teacher.get("document.querySelector('#controls').inert")

        # challenge: a leaderboard from the server's own measurements, on every screen
        teacher.page.select_option("#challenge-metric", "test_accuracy")
        teacher.page.click("#challenge-start")
        for student in students.values():
            student.wait("__playground.room.info?.mode === 'challenge'")
            student.page.click("#play")
        teacher.wait("document.querySelectorAll('#room-leaderboard tr').length === 3")
        for student in students.values():
            student.wait("document.querySelectorAll('#room-leaderboard tr').length === 3")
        teacher.wait("[...document.querySelectorAll('#room-dashboard tr[data-student] td:nth-child(3)')]"
                     ".every((td) => Number(td.textContent) > 0)")
        teacher.page.screenshot(path=str(artifacts / "room-teacher-challenge.png"), full_page=True)
        teacher.page.locator("#room").screenshot(path=str(artifacts / "room-teacher-dashboard.png"))
        students["cy"].page.screenshot(path=str(artifacts / "room-student-challenge.png"))

        teacher.page.click("#room-close")
        for student in students.values():
            student.wait("__playground.room.info === null && document.querySelector('#room-start') !== null")
            assert "The class ended" in student.page.text_content("#room .room-status")
        for pg in [teacher, *students.values()]:
            assert pg.page.errors == [], pg.page.errors
