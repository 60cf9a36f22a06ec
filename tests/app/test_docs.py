"""The docs stay exact: every setting is in README's table."""

from __future__ import annotations

from pathlib import Path

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_documented_in_readme():
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in Settings.model_fields if f"`PLAYGROUND_{name.upper()}`" not in readme]
    assert missing == []


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


def test_generated_blocks_of_the_protocol_doc_are_what_their_sources_say():
    from app.docs import BLOCKS, PROTOCOL_DOC, block

    text = PROTOCOL_DOC.read_text()
    for name, source in BLOCKS.items():
        found = block(name, text)
        assert found is not None, f"docs/protocol.md has no generated block {name!r}"
        assert found.group(1) == source(), f"docs/protocol.md's {name} block is stale: run python -m app.docs"


def test_every_hide_name_of_the_page_is_in_readme():
    from app.http.pages import PAGE_PARTS

    section = (ROOT / "README.md").read_text().split("## Hiding controls for a class")[1].split("\n## ")[0]
    assert [name for name in PAGE_PARTS if f"`{name}`" not in section] == []
