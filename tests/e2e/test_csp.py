"""The Content-Security-Policy in real Chromium: the pages work under it, and it is really enforced."""

from __future__ import annotations

CSP_REPORTS = """() => { window.__csp = []; document.addEventListener('securitypolicyviolation',
    (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI)); }"""


def test_the_playground_works_under_the_policy_and_the_policy_blocks_inline_script(server, page):
    page.add_init_script(f"({CSP_REPORTS})()")
    response = page.goto(server.url + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_function("window.__playground && __playground.connected && __playground.framesReceived >= 1",
                           timeout=45_000)
    page.click("#play")
    page.wait_for_function("__playground.framesReceived >= 5", timeout=45_000)
    assert page.evaluate("window.__csp") == [] and page.errors == []
    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.__ran = true';
        document.body.append(s); }""")
    page.wait_for_function("window.__csp.length >= 1", timeout=10_000)
    assert page.evaluate("window.__ran") is None
    assert page.evaluate("window.__csp")[0].startswith("script-src")


def test_the_lesson_page_works_under_the_policy(server, page):
    page.add_init_script(f"({CSP_REPORTS})()")
    page.goto(server.url + "/lesson")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__csp") == [] and page.errors == []
