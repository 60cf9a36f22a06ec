"""Every setting of engine.schema means the same everywhere: validation, /api/options, the protocol's JSON Schema, the
docs' table and the page's controls (read in Chromium) agree on its type, range, default and when it applies."""

from __future__ import annotations

import json
import math

import httpx
import pytest

from app.docs import PROTOCOL_DOC, block
from engine.config import DEFAULT_CONFIG, ConfigError, Limits, validate
from engine.schema import FIELD, SETTINGS, Setting
from tests.e2e.conftest import Playground

EVERY = [(s.name, s) for s in SETTINGS] + list(FIELD.items())
JSON_TYPES = {"float": "number", "int": "integer", "bool": "boolean", "choice": "string", "subset": "array",
              "layers": "array", "object": "object", "params": "object"}


def patch_for(path: str, value) -> dict:
    """A config patch setting one (possibly dotted) path."""
    head, _, tail = path.partition(".")
    return {head: {tail: value}} if tail else {path: value}


def value_at(config: dict, path: str):
    for part in path.split("."):
        config = config[part]
    return config


@pytest.fixture(scope="module")
def described(server):
    options = httpx.get(server.url + "/api/options", timeout=10).json()
    protocol = httpx.get(server.url + "/api/protocol", timeout=10).json()["client_messages"]
    limits = options["limits"]
    return options, protocol, Limits(limits["max_layers"], limits["max_neurons"], limits["max_points"])


@pytest.mark.parametrize(("path", "setting"), EVERY, ids=[p for p, _ in EVERY])
def test_validation_options_json_schema_and_docs_agree(described, path, setting: Setting):
    options, protocol, limits = described
    head, _, tail = path.partition(".")
    offered = options["options"]["config"][head]
    offered = offered["fields"][tail] if tail else offered
    assert offered["type"] == setting.type and offered["default"] == setting.default
    assert value_at(DEFAULT_CONFIG, path) == setting.default
    assert offered.get("applies") == (setting.applies and {"key": setting.applies.key,
                                                           "values": list(setting.applies.values)})  # fmt: skip
    prop = protocol["$defs"]["ConfigMsg"]["properties"][head]
    if tail:
        model = prop["anyOf"][0]["$ref"].rsplit("/", 1)[1]
        prop = protocol["$defs"][model]["properties"][tail]
    assert prop["default"] == setting.default and prop["title"] == setting.label
    assert prop.get("x-applies") == offered.get("applies")
    json_types = {t.get("type") for t in prop["anyOf"]} | {"object" if "$ref" in t else None for t in prop["anyOf"]}
    assert JSON_TYPES[setting.type] in json_types
    docs = block("settings", PROTOCOL_DOC.read_text()).group(1)
    row = next(line for line in docs.splitlines() if line.startswith(f"| `{path}` |"))
    assert f"`{json.dumps(setting.default, ensure_ascii=False)}`" in row
    assert (f"`{setting.applies.key}` is" in row) if setting.applies else "| always |" in row

    assert validate(DEFAULT_CONFIG, patch_for(path, setting.default), limits) == DEFAULT_CONFIG
    if setting.type in ("float", "int"):
        low, high = offered["min"], offered["max"]
        assert (low, high) == setting.bounds(limits)
        assert (prop["minimum"], prop["maximum"]) == setting.bounds(Limits())
        documented = setting.bounds(Limits())  # the docs show the default limits
        assert f"{documented[0]:.12g} … {documented[1]:.12g}" in row
        for inside in (low, high):
            assert value_at(validate(DEFAULT_CONFIG, patch_for(path, inside), limits), path) == inside
        step = 1 if setting.type == "int" else max(abs(high), abs(low), 1) * 1e-6
        for outside in (low - step, high + step, math.nan):
            with pytest.raises(ConfigError) as refused:
                validate(DEFAULT_CONFIG, patch_for(path, outside), limits)
            assert refused.value.field == path
    if setting.type == "choice":
        assert offered["values"] == prop["x-values"] == list(setting.values)
        for value in setting.values:
            assert value_at(validate(DEFAULT_CONFIG, patch_for(path, value), limits), path) == value
        with pytest.raises(ConfigError) as refused:
            validate(DEFAULT_CONFIG, patch_for(path, "no_such_name"), limits)
        assert refused.value.field == path
    if setting.type == "bool":
        assert value_at(validate(DEFAULT_CONFIG, patch_for(path, not setting.default), limits), path) is (
            not setting.default)
        with pytest.raises(ConfigError) as refused:
            validate(DEFAULT_CONFIG, patch_for(path, "yes"), limits)
        assert refused.value.field == path


CONTROLS = """() => [...document.querySelectorAll('[data-section] .control[data-name]')].map((box) => {
    const id = box.dataset.name.replaceAll('.', '-');
    const input = document.getElementById(id);
    return {path: box.dataset.name, label: box.querySelector('label')?.textContent ?? null,
            help: box.querySelector('.help')?.textContent ?? null, tag: input?.tagName.toLowerCase(),
            type: input?.type, min: input?.min ?? null, max: input?.max ?? null, checked: input?.checked ?? null,
            value: input?.value ?? null,
            options: input?.options ? [...input.options].map((o) => o.value) : null,
            irrelevant: box.classList.contains('irrelevant')};
  })"""


def controls(pg: Playground) -> dict[str, dict]:
    return {c["path"]: c for c in pg.get(f"({CONTROLS})()")}


def test_the_page_builds_each_setting_control_from_the_schema(playground, described):
    options, _, limits = described
    pg = playground.open()
    shown = controls(pg)
    for path, setting in EVERY:
        if setting.type in ("object", "params"):
            assert path not in shown  # an object's own fields are its controls; params are the optimizer's rows
            continue
        control = shown[path]
        assert (control["label"], control["help"]) == (setting.label, setting.help), path
        if setting.type in ("float", "int"):
            assert control["type"] in ("range", "number"), path
            assert (float(control["min"]), float(control["max"])) == setting.bounds(limits), path
            if not setting.per_layer:
                assert float(control["value"]) == setting.default, path
        elif setting.type == "choice":
            assert control["tag"] == "select" and control["options"] == list(setting.values), path
            assert control["value"] == (setting.default if not setting.per_layer else control["value"]), path
        elif setting.type == "bool":
            assert control["type"] == "checkbox" and control["checked"] == setting.default, path
        hidden = setting.applies is not None and not setting.applies.holds(DEFAULT_CONFIG)
        assert control["irrelevant"] == hidden, path
    speed, offered = shown["speed"], options["options"]["speed"]
    assert (speed["label"], speed["help"]) == (offered["label"], offered["help"])


def _set(pg: Playground, path: str, value) -> None:
    """Change the control for `path` as a student would, and wait for the server's applied config."""
    selector = "#" + path.replace(".", "-")
    if isinstance(value, bool):
        pg.page.set_checked(selector, value)
    else:
        pg.page.select_option(selector, str(value))
    pg.wait("([v, p]) => JSON.stringify(p.split('.').reduce((o, k) => o[k], __playground.config)) === v",
            [json.dumps(value), path])


def test_each_control_is_shown_exactly_when_its_setting_applies(playground):
    pg = playground.open()
    for path, setting in EVERY:
        if setting.applies is None:
            continue
        key = setting.applies.key
        head, _, tail = key.partition(".")
        condition = FIELD[key] if tail else next(s for s in SETTINGS if s.name == key)
        choices = (True, False) if condition.type == "bool" else condition.values
        holding = next(v for v in choices if v in setting.applies.values)
        failing = next(v for v in choices if v not in setting.applies.values)
        for value, applies in ((holding, True), (failing, False)):
            _set(pg, key, value)
            pg.wait(f"(p) => document.querySelector(`[data-name=\"${{p}}\"]`).classList.contains('irrelevant') === "
                    f"{'false' if applies else 'true'}", path)
        default = value_at(DEFAULT_CONFIG, key)
        _set(pg, key, default)
