"""The wire protocol's client messages: one pydantic model per `type`, validated by one TypeAdapter."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    create_model,
    field_validator,
)
from pydantic_core import PydanticCustomError

from app.presets import PRESETS
from app.rooms.challenge import METRICS as CHALLENGE_METRICS
from engine.data.datasets import DOMAIN
from engine.export import FORMATS as EXPORT_FORMATS
from engine.race import MAX_CONTESTANTS, MIN_CONTESTANTS, VARIED
from engine.schema import SETTINGS, Limits, Setting
from engine.trainer import MAX_COUNTER
from engine.views.landscape import PLANES

PROTOCOL_VERSION = 1
SPEED_RANGE = (0.1, 100_000.0)  # training steps per second; or "max"
FPS_RANGE = (1.0, 60.0)
DEFAULT_SPEED = "max"
WATCH_SPEED = 500.0  # the page's pace: the default circle's boundary forms over a few seconds (1,000-7,000 steps)
DEFAULT_FPS = 60.0
SERVER_OPTIONS_TEXT = {
    "speed": f"a number from {SPEED_RANGE[0]:g} to {SPEED_RANGE[1]:g} (training steps per second) or 'max'",
    "fps": f"a number from {FPS_RANGE[0]:g} to {FPS_RANGE[1]:g} (frames per second)",
}
SHUTDOWN_CODE = 1012  # RFC 6455 "Service Restart": the server stops (SIGTERM); a client may reconnect shortly
SHUTDOWN_REASON = "server restarting"
CLOSE_CODES: dict[int, str] = {
    1001: "idle too long, or the session lifetime reached",
    1008: "too many messages (rate limit), or a reader too slow to serve: no frame taken for send_timeout s (watchdog)",
    1009: "a message larger than the limit (max_message_bytes)",
    1011: "the server failed",
    SHUTDOWN_CODE: f"the server is shutting down or restarting (reason {SHUTDOWN_REASON!r}); reconnect in a moment",
    1013: "no free session: the server or this address has reached its limit; try again later",
}

Name = Annotated[str, Field(min_length=1, max_length=64)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
MAX_ID = 2**53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER: an id the page can hold exactly
MAX_ID_CHARS = 64
RequestId = Annotated[int, Field(ge=-MAX_ID, le=MAX_ID)] | Annotated[str, Field(max_length=MAX_ID_CHARS)] | None
ID_RULE = f"an integer from -{MAX_ID} to {MAX_ID} or a string of at most {MAX_ID_CHARS} characters"


def valid_id(value: Any) -> bool:
    """Whether `value` is an id the server echoes: a bounded integer (not a bool), a short string, or null."""
    if value is None:
        return True
    if isinstance(value, int) and not isinstance(value, bool):
        return -MAX_ID <= value <= MAX_ID
    return isinstance(value, str) and len(value) <= MAX_ID_CHARS


class Message(BaseModel):
    """Base of every client message: strict JSON types, no unknown keys, no NaN or Infinity."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    id: RequestId = Field(None, description="Optional request id, echoed in errors and pongs.")

    @field_validator("id", mode="before")
    @classmethod
    def _bounded_id(cls, value: Any) -> Any:
        """One message naming `id` and what it may be (not a union of pydantic's messages)."""
        if not valid_id(value):
            raise PydanticCustomError("request_id", "must be " + ID_RULE)
        return value


def _json_schema(setting: Setting) -> dict[str, Any]:
    """What the JSON Schema says of a setting beyond its type: label, help, default, range, when it applies."""
    out: dict[str, Any] = {"title": setting.label, "description": setting.help, "default": setting.default}
    if setting.low is not None:
        limits = Limits()
        out["minimum"], out["maximum"] = setting.bounds(limits)
        named = {k: b for k, b in (("minimum", setting.low), ("maximum", setting.high)) if isinstance(b, str)}
        if named:
            out["x-limits"] = named  # this server's limits (hello.limits) replace the defaults shown
    if setting.type in ("choice", "subset"):
        out["x-values"] = list(setting.values)
    if setting.applies:
        out["x-applies"] = setting.applies.as_dict()
    return out


def _annotation(setting: Setting, path: str) -> Any:
    """The JSON type a setting's value has in a patch (ranges and names are the engine's to check)."""
    scalar: Any = {"float": Finite, "int": int, "bool": bool, "choice": Name}.get(setting.type)
    if setting.per_layer:
        return scalar | Annotated[list[scalar], Field(max_length=64)]
    if scalar is not None:
        return scalar
    if setting.type == "subset":
        return Annotated[list[Name], Field(max_length=32)]
    if setting.type == "layers":
        return Annotated[list[int], Field(max_length=64)]
    if setting.type == "params":
        return Annotated[dict[Name, Finite], Field(max_length=16)]
    fields: dict[str, Any] = {
        f.name: (_annotation(f, f"{path}.{f.name}") | None, Field(None, json_schema_extra=_json_schema(f)))
        for f in setting.fields
    }
    if setting.registry:  # its other keys are the chosen registry entry's numbers (a schedule's parameters)
        fields["__pydantic_extra__"] = (dict[str, Finite], None)
    config = ConfigDict(extra="allow" if setting.registry else "forbid", strict=True, allow_inf_nan=False)
    model_name = "".join(part.title() for part in path.split("_"))
    return create_model(model_name, __config__=config, __doc__=setting.help, **fields)


class ConfigBase(Message):
    """A partial patch of the session's settings; the server answers with the full applied `config`.

    One optional field per setting of the engine's schema (engine.schema): types are checked here, names and ranges
    by the engine's validate, so they live in one place. Plus the server's own speed and fps.
    """

    type: Literal["config"]
    speed: Annotated[float, Field(ge=SPEED_RANGE[0], le=SPEED_RANGE[1])] | Literal["max"] | None = Field(
        None, description="Training steps per second, or 'max' (as fast as the server's fair share allows)."
    )
    fps: Annotated[float, Field(ge=FPS_RANGE[0], le=FPS_RANGE[1])] | None = Field(
        None, description="Frame-rate cap (frames per second)."
    )

    @field_validator("speed", "fps", mode="before")
    @classmethod
    def _server_setting(cls, value: Any, info: Any) -> Any:
        """speed and fps may be left out, but a value sent (null too) must be allowed; the error says what is."""
        low, high = SPEED_RANGE if info.field_name == "speed" else FPS_RANGE
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if (number and low <= value <= high) or (info.field_name == "speed" and value == "max"):
            return value
        got = json.dumps(value)[:40]
        raise PydanticCustomError("server_setting", "must be {allowed}, got {got}",
                                  {"allowed": SERVER_OPTIONS_TEXT[info.field_name], "got": got})

    def patch(self) -> dict[str, Any]:
        """The keys the client actually sent, as plain JSON values."""
        return self.model_dump(exclude_unset=True, exclude={"type", "id"})


ConfigMsg = create_model(
    "ConfigMsg", __base__=ConfigBase, __doc__=ConfigBase.__doc__,
    **{s.name: (_annotation(s, s.name) | None, Field(None, json_schema_extra=_json_schema(s))) for s in SETTINGS},
)  # fmt: skip


class Play(Message):
    """Start (or resume) training."""

    type: Literal["play"]


class Pause(Message):
    """Stop training; the network and data stay as they are."""

    type: Literal["pause"]


class Step(Message):
    """Train `n` mini-batches now, then pause."""

    type: Literal["step"]
    n: Annotated[int, Field(ge=1, le=1000)] = 1


class Epoch(Message):
    """Train one full pass over the training set now, then pause."""

    type: Literal["epoch"]


class Reset(Message):
    """Fresh weights from the seed; same data; counters and loss history start again."""

    type: Literal["reset"]


class Regenerate(Message):
    """New points from a new data seed; the network is kept."""

    type: Literal["regenerate"]


Coordinate = Annotated[float, Field(ge=-DOMAIN, le=DOMAIN)]


class AddPoint(Message):
    """Add one training point at (x, y) with a label (class index, ±1, or a regression target)."""

    type: Literal["add_point"]
    x: Coordinate
    y: Coordinate
    label: Annotated[float, Field(ge=-1000, le=1000)]


class ErasePoints(Message):
    """Remove every point within `radius` of (x, y)."""

    type: Literal["erase_points"]
    x: Coordinate
    y: Coordinate
    radius: Annotated[float, Field(gt=0, le=20)]


class LoadCsv(Message):
    """Replace the points with CSV text `x,y,label` (one header line allowed)."""

    type: Literal["load_csv"]
    csv: Annotated[str, Field(min_length=1)]


class ExportCsv(Message):
    """Ask for the current points as CSV; answered by a `csv` message."""

    type: Literal["export_csv"]


class ExportCode(Message):
    """Ask for the run as code: a NumPy script, a notebook or the model as JSON; answered by an `export` message."""

    type: Literal["export_code"]
    format: Literal[tuple(EXPORT_FORMATS)]  # type: ignore[valid-type]


class SetWeight(Message):
    """Set one weight W[layer][row, col], or the bias of neuron `row` when `col` is null."""

    type: Literal["set_weight"]
    layer: Annotated[int, Field(ge=0, le=64)]
    row: Annotated[int, Field(ge=0, le=4096)]
    col: Annotated[int, Field(ge=0, le=4096)] | None = None
    value: Finite


Counter = Annotated[int, Field(ge=0, le=MAX_COUNTER)]


class SetParams(Message):
    """Replace every weight and bias at once: the flat vector in the order of the frame's `params` block; with
    `step` and `epoch`, the counters too (the page restoring its run on a new session after a server restart)."""

    type: Literal["set_params"]
    params: Annotated[list[Finite], Field(min_length=1, max_length=10_000)]
    # Optional, but not null: left out means unchanged, a value sent must be a counter.
    step: Counter = Field(None, description="Set the step counter (mini-batches trained): 0 … 2**31-1.")  # type: ignore[assignment]
    epoch: Counter = Field(None, description="Set the epoch counter (full passes), at most the step.")  # type: ignore[assignment]


class Trace(Message):
    """Walk one data point through the live network (the lesson's step-by-step view); answered by `trace`."""

    type: Literal["trace"]
    index: Annotated[int, Field(ge=0)]
    split: Literal["train", "test"] = "train"


AT_STEP = "With `step`, of the timeline's snapshot at that step instead of the live network."


class Metrics(Message):
    """Ask for the metrics on the training and test sets now (a confusion matrix, or R² and RMSE); answered by
    `metrics`."""

    type: Literal["metrics"]
    step: Counter | None = Field(None, description=AT_STEP)


class Neuron(Message):
    """One neuron's math for one data point (z, a = f(z), δ, each aᵢ·δ, with the live numbers); answered by
    `neuron`. `layer` 1 is the first hidden layer, the last is the output; `neuron` counts from 0."""

    type: Literal["neuron"]
    index: Annotated[int, Field(ge=0)]
    split: Literal["train", "test"] = "train"
    layer: Annotated[int, Field(ge=1, le=64)]
    neuron: Annotated[int, Field(ge=0, le=4096)]
    step: Counter | None = Field(None, description=AT_STEP)


class HiddenSpace(Message):
    """Ask for the points and the input plane's grid lines at two neurons' activations of hidden layer `layer`
    (counted from 1; neurons from 0); answered by `hidden_space`."""

    type: Literal["hidden_space"]
    layer: Annotated[int, Field(ge=1, le=64)]
    neurons: Annotated[list[Annotated[int, Field(ge=0, le=4096)]], Field(min_length=2, max_length=2)] = [0, 1]
    step: Counter | None = Field(None, description=AT_STEP)


class TimelineMsg(Message):
    """Ask for the timeline: the snapshots the session keeps of its past; answered by `timeline`."""

    type: Literal["timeline"]


class ViewSnapshot(Message):
    """Ask for a frame of the moment the timeline kept at `step` (its weights, maps, loss and accuracy), to show
    while training goes on or stays paused; answered by `snapshot`."""

    type: Literal["view_snapshot"]
    step: Counter


class RestoreSnapshot(Message):
    """Continue from here: the session returns exactly to the moment kept at `step` (weights, optimizer state,
    counters, batches ahead, settings) and trains on from it; answered by `restored`."""

    type: Literal["restore_snapshot"]
    step: Counter


class GradCheck(Message):
    """Compare backprop with finite differences; answered by a `gradcheck` message."""

    type: Literal["gradcheck"]
    inject_bug: bool = False


class WatchClaim(Message):
    """Watch this run for a preset's claim (the run must be the preset's own, at step 0); answered by `claim`
    messages: `watching` now, then `shown` or `not_shown` with the numbers, or `dropped` when the run changes.
    With `reset` the network is reset first, in the same job: a separate `reset` leaves room for a training slice
    before the watch starts, and the watch then finds the run past step 0."""

    type: Literal["watch_claim"]
    preset: Literal[tuple(PRESETS)]  # type: ignore[valid-type]
    pause: bool = False
    reset: bool = False


class RaceStart(Message):
    """Race 2–4 trainers from the session's settings that differ only in `varied` (engine/race.py): the same initial
    weights, the same batches, in lockstep; answered by `race`, then race frames instead of the main frame."""

    type: Literal["race_start"]
    varied: Literal[VARIED] = "optimizer"  # type: ignore[valid-type]
    values: Annotated[list[Name | Finite], Field(min_length=MIN_CONTESTANTS, max_length=MAX_CONTESTANTS)]
    target: Finite | None = None


class RaceStop(Message):
    """End the race: the session's own trainer is shown and trained again; answered by `race` (`active` false)."""

    type: Literal["race_stop"]


class RaceRematch(Message):
    """Start the race again from new shared initial weights (the next round); answered by `race`."""

    type: Literal["race_rematch"]


class RaceTarget(Message):
    """Set the finish line (a training loss > 0, or null for none): every finish is judged again; answered by `race`."""

    type: Literal["race_target"]
    target: Finite | None


class Landscape(Message):
    """The training loss over a plane through the weights, with the path(s) on it (engine/views/landscape.py); computed
    off the hot path, a chunk at a time; answered by `landscape`."""

    type: Literal["landscape"]
    plane: Literal[PLANES] = "pca"  # type: ignore[valid-type]
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0


class OptimizerState(Message):
    """What the optimizer holds for one parameter (flat index, as the frame's `params`) and every layer's last steps;
    `lane` reads a race contestant's trainer. Answered by `optimizer_state`."""

    type: Literal["optimizer_state"]
    index: Annotated[int, Field(ge=0)]
    lane: Annotated[int, Field(ge=0, le=MAX_CONTESTANTS - 1)] | None = None


CONFIG_KEYS: tuple[str, ...] = (*(s.name for s in SETTINGS), "speed", "fps")
JoinCode = Annotated[str, Field(min_length=1, max_length=32)]
Nickname = Annotated[str, Field(min_length=1, max_length=24, pattern=r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$")]


class RoomOpen(Message):
    """Open a classroom room with this session as the teacher's; answered by `room` (with the join code and the
    teacher's token)."""

    type: Literal["room_open"]


class RoomJoin(Message):
    """Join a room by its code: as a student with a `nickname`, or as its teacher again with `teacher_token`."""

    type: Literal["room_join"]
    code: JoinCode
    nickname: Nickname | None = None
    teacher_token: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class RoomMode(Message):
    """The teacher switches the room's mode: every student follows the teacher's session, or trains a copy."""

    type: Literal["room_mode"]
    mode: Literal["follow", "hands_on"]


class RoomChallenge(Message):
    """The teacher starts a challenge: every student from the teacher's setup, ranked by a metric the server
    measures; `locked` settings cannot be changed (the data's never can)."""

    type: Literal["room_challenge"]
    metric: Literal[tuple(CHALLENGE_METRICS)]  # type: ignore[valid-type]
    target: Finite | None = None
    max_weights: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    seconds: Annotated[float, Field(gt=0, le=4 * 3600)] | None = None
    locked: Annotated[list[Literal[CONFIG_KEYS]], Field(max_length=64)] = []  # type: ignore[valid-type]
    show_students: bool = True


class RoomPush(Message):
    """The teacher pushes the current setup (settings and weights) to every hands-on student, or to one."""

    type: Literal["room_push"]
    student: Nickname | None = None


class RoomSpotlight(Message):
    """The teacher puts one student's session on everyone's screen (follow mode), or the teacher's again (null)."""

    type: Literal["room_spotlight"]
    student: Nickname | None = None


class RoomRemove(Message):
    """The teacher removes a student from the room (the student's session goes on alone)."""

    type: Literal["room_remove"]
    student: Nickname


class RoomClose(Message):
    """The teacher ends the room; every student's session goes on alone."""

    type: Literal["room_close"]


ROOM_MESSAGES = (RoomOpen, RoomJoin, RoomMode, RoomChallenge, RoomPush, RoomSpotlight, RoomRemove, RoomClose)


class Ping(Message):
    """Round-trip probe; answered at once by `pong` with the same id."""

    type: Literal["ping"]


ClientMessage = Annotated[
    ConfigMsg
    | Play
    | Pause
    | Step
    | Epoch
    | Reset
    | Regenerate
    | AddPoint
    | ErasePoints
    | LoadCsv
    | ExportCsv
    | ExportCode
    | SetWeight
    | SetParams
    | GradCheck
    | Trace
    | Metrics
    | Neuron
    | HiddenSpace
    | TimelineMsg
    | ViewSnapshot
    | RestoreSnapshot
    | WatchClaim
    | RaceStart
    | RaceStop
    | RaceRematch
    | RaceTarget
    | Landscape
    | OptimizerState
    | RoomOpen
    | RoomJoin
    | RoomMode
    | RoomChallenge
    | RoomPush
    | RoomSpotlight
    | RoomRemove
    | RoomClose
    | Ping,
    Field(discriminator="type"),
]
CLIENT_MESSAGE = TypeAdapter(ClientMessage)
MESSAGE_TYPES: tuple[str, ...] = tuple(  # every message's `type`, read off the union above (its one home)
    get_args(model.model_fields["type"].annotation)[0] for model in get_args(get_args(ClientMessage)[0])
)


SERVER_OPTIONS: dict[str, Any] = {
    "speed": {"type": "speed", "min": SPEED_RANGE[0], "max": SPEED_RANGE[1], "values": ["max"],
              "default": DEFAULT_SPEED, "page_default": WATCH_SPEED, "unit": "training steps per second, or 'max'",
              "label": "Speed",
              "help": "How many training steps per second: slow motion lets you watch single updates; full speed "
                      "trains as fast as the server can."},
    "fps": {"type": "float", "min": FPS_RANGE[0], "max": FPS_RANGE[1], "default": DEFAULT_FPS,
            "unit": "frames per second (a cap)", "label": "Frame rate", "help": "The most frames a second the "
            "server sends."},
}


class ProtocolError(Exception):
    """A client message the server refuses; becomes an `error` message and the session carries on."""

    def __init__(self, code: str, field: str | None, message: str, request_id: Any = None) -> None:
        super().__init__(message)
        self.code, self.field, self.message, self.request_id = code, field, message, request_id

    def to_message(self) -> dict[str, Any]:
        """The `error` message for the client."""
        out: dict[str, Any] = {"type": "error", "code": self.code, "field": self.field, "message": self.message}
        if self.request_id is not None:
            out["id"] = self.request_id
        return out


def _is_field(part: str | int) -> bool:
    """Whether a pydantic error location part names a field (not a union branch like 'constrained-float')."""
    return isinstance(part, int) or (part.isidentifier() and part not in ("str", "int", "float", "bool"))


def _describe(error: dict[str, Any]) -> tuple[str | None, str]:
    """(field, readable message) for one pydantic error."""
    loc = [str(part) for part in error["loc"] if _is_field(part)]
    if loc and loc[0] in MESSAGE_TYPES:
        loc = loc[1:]
    field = ".".join(loc) or None
    kind = error["type"]
    if kind == "union_tag_not_found":
        return "type", "every message needs a 'type', one of: " + ", ".join(MESSAGE_TYPES)
    if kind == "union_tag_invalid":
        return "type", f"unknown type {error['input'].get('type')!r}; allowed: " + ", ".join(MESSAGE_TYPES)
    if kind == "dict_type" and not loc:
        return None, "a message must be a JSON object with a 'type', one of: " + ", ".join(MESSAGE_TYPES)
    if kind == "extra_forbidden":
        if len(loc) == 1 and error.get("_type") == "config":
            return field, f"unknown setting {field!r}; allowed: " + ", ".join(CONFIG_KEYS)
        return field, f"unknown key {field!r}"
    if kind == "json_invalid":
        return None, "not valid JSON: " + error["msg"].removeprefix("Invalid JSON: ")
    return field, f"{field}: {error['msg']}" if field else error["msg"]


def parse(text: str) -> ConfigMsg | Message:
    """Validate one text message; raise ProtocolError naming the field and what is allowed."""
    try:
        return CLIENT_MESSAGE.validate_json(text)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        request_id, kind = _id_and_type(text)
        for error in errors:
            error["_type"] = kind
        described = [_describe(e) for e in errors]
        field = described[0][0]
        same = [m.removeprefix(f"{f}: ") for f, m in described if f == field]
        message = described[0][1]
        if len(same) > 1:
            message = (f"{field}: " if field else "") + " or ".join(dict.fromkeys(same))
        others = [m for f, m in described if f != field]
        if others:
            message += f" (and {len(others)} more: " + "; ".join(others[:3]) + ")"
        code = "bad_json" if errors[0]["type"] == "json_invalid" else "invalid"
        raise ProtocolError(code, field, message, request_id) from None


def _id_and_type(text: str) -> tuple[Any, str | None]:
    """Best-effort plain decode of a rejected message, only to echo its id and name its type in the error."""
    try:
        data = json.loads(text, parse_constant=lambda _: None)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    request_id, kind = data.get("id"), data.get("type")
    request_id = request_id if valid_id(request_id) else None
    return request_id, kind if isinstance(kind, str) else None
