"""The example in engine/__init__.py's docstring runs and learns XOR."""

from __future__ import annotations

import engine


def test_docstring_example_trains_xor(capsys):
    code = engine.__doc__.split("::")[1].split("Command-line tools")[0]
    source = "\n".join(line[4:] for line in code.splitlines())
    namespace: dict = {}
    exec(compile(source, "engine-docstring", "exec"), namespace)
    trainer = namespace["trainer"]
    assert trainer.config["layers"] == [4, 3]
    assert trainer.evaluate()["test_accuracy"] >= 0.95
