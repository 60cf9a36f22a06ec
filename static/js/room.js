// A classroom room on the page (docs/protocol.md, "Classroom rooms"): start a class or join one; the teacher's
// mode buttons, dashboard and leaderboard; a student's view of the room. Only the protocol's room messages.
//
//   const room = mountRoom(section, { send, readOnly: (on) => … });
//   room.hello()           — on every `hello` (a reconnect joins the same room again)
//   room.handle(message)   — every JSON message; true if it was a room message

const METRICS = { test_loss: "test loss", test_accuracy: "test accuracy", train_loss: "train loss", train_accuracy: "train accuracy" };
const STORE = "playground-room";  // sessionStorage: { code, nickname } or { code, teacher_token }

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

const number = (value, digits = 3) => (value === null || value === undefined ? "–" : Number(value).toFixed(digits));
const percent = (value) => (value === null || value === undefined ? "–" : `${(100 * value).toFixed(1)} %`);
const metricText = (metric, value) => (metric.endsWith("accuracy") ? percent(value) : number(value, 4));

export function mountRoom(section, { send, readOnly }) {
  let info = null;  // the last `room` message
  let board = null;  // the last leaderboard
  const linkCode = location.pathname.match(/^\/r\/([A-Za-z0-9-]+)$/)?.[1] ?? "";
  const saved = () => JSON.parse(sessionStorage.getItem(STORE) || "null");
  const save = (value) => (value ? sessionStorage.setItem(STORE, JSON.stringify(value)) : sessionStorage.removeItem(STORE));

  const status = el("p", { className: "room-status", role: "status" });
  const body = el("div", { className: "room-body" });
  section.append(el("h2", {}, "Class"), status, body);

  function join(code, nickname) {
    save({ code, nickname });
    send({ type: "room_join", code, nickname });
  }

  function showLobby(message = "") {
    info = null;
    readOnly(false);
    section.dataset.role = "none";
    status.textContent = message;
    const code = el("input", { type: "text", id: "room-code", value: linkCode, placeholder: "code", size: 9, autocomplete: "off", "aria-label": "Class code" });
    const nickname = el("input", { type: "text", id: "room-nickname", placeholder: "your name", maxLength: 24, size: 12, "aria-label": "Nickname" });
    const form = el("form", { className: "room-join" }, code, nickname, el("button", { type: "submit", id: "room-join" }, "Join"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (code.value.trim() && nickname.value.trim()) join(code.value.trim(), nickname.value.trim());
    });
    const start = el("button", { type: "button", id: "room-start" }, "Start a class");
    start.addEventListener("click", () => send({ type: "room_open" }));
    body.replaceChildren(el("div", { className: "room-row" }, start, el("span", { className: "small" }, "or join one:"), form));
    if (linkCode) nickname.focus();
  }

  function teacherView() {
    const link = `${location.origin}/r/${info.code}`;
    const mode = (name, label) => {
      const button = el("button", { type: "button", dataset: { mode: name }, ariaPressed: String(info.mode === name) }, label);
      button.addEventListener("click", () => send({ type: "room_mode", mode: name }));
      return button;
    };
    const push = el("button", { type: "button", id: "room-push", disabled: info.mode === "follow" }, "Push my setup to all");
    push.addEventListener("click", () => send({ type: "room_push" }));
    const close = el("button", { type: "button", id: "room-close" }, "End class");
    close.addEventListener("click", () => send({ type: "room_close" }));
    body.replaceChildren(
      el("div", { className: "room-row" },
        el("span", { className: "room-code", id: "room-code-shown" }, info.code),
        el("a", { href: link, className: "small" }, link),
        mode("follow", "Follow me"), mode("hands_on", "Hands-on"), push, close),
      challengeForm(),
      el("table", { className: "room-dashboard", id: "room-dashboard" }),
      el("div", { id: "room-leaderboard" }));
    if (info.spotlight) status.textContent += ` · spotlight: ${info.spotlight}`;
  }

  function challengeForm() {
    const metric = el("select", { id: "challenge-metric", "aria-label": "Metric" },
      ...Object.entries(METRICS).map(([value, label]) => el("option", { value }, label)));
    if (info.challenge) metric.value = info.challenge.metric;
    const target = el("input", { type: "number", id: "challenge-target", step: "any", placeholder: "target", "aria-label": "Target" });
    const weights = el("input", { type: "number", id: "challenge-weights", min: 1, placeholder: "max weights", "aria-label": "Most weights" });
    const minutes = el("input", { type: "number", id: "challenge-minutes", min: 0.1, step: "any", placeholder: "minutes", "aria-label": "Minutes" });
    const lock = el("input", { type: "checkbox", id: "challenge-lock" });
    const go = el("button", { type: "submit", id: "challenge-start" }, "Start challenge");
    const form = el("form", { className: "room-row room-challenge" }, el("span", { className: "small" }, "Challenge:"),
      metric, target, weights, minutes, el("label", { className: "inline" }, lock, " lock the network"), go);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const message = { type: "room_challenge", metric: metric.value };
      if (target.value !== "") message.target = Number(target.value);
      if (weights.value !== "") message.max_weights = Number(weights.value);
      if (minutes.value !== "") message.seconds = Number(minutes.value) * 60;
      if (lock.checked) message.locked = ["layers", "activation", "features"];
      send(message);
    });
    return form;
  }

  function studentView() {
    const leave = el("button", { type: "button", id: "room-leave" }, "Leave class");
    leave.addEventListener("click", () => { save(null); location.assign("/"); });
    body.replaceChildren(el("div", { className: "room-row" }, leave), el("div", { id: "room-leaderboard" }));
  }

  function room(message) {
    const first = info === null || info.role !== message.role;
    info = message;
    section.dataset.role = message.role;
    section.dataset.mode = message.mode;
    const who = message.role === "teacher" ? "You are teaching" : `You are ${message.nickname} in`;
    const modes = { follow: message.spotlight ? `everyone follows ${message.spotlight}` : "everyone follows the teacher",
      hands_on: "hands-on: each trains their own copy", challenge: "challenge" };
    status.textContent = `${who} class ${message.code} · ${modes[message.mode]} · ${message.students} student${message.students === 1 ? "" : "s"}`
      + (message.teacher_present ? "" : " · the teacher is away");
    if (message.role === "teacher") {
      save({ code: message.code, teacher_token: message.teacher_token });
      teacherView();
    } else if (first) {
      studentView();
    }
    const following = message.mode === "follow" && (message.role === "teacher" ? message.spotlight !== null : message.spotlight !== message.nickname);
    readOnly(following);  // what this page shows is another's session: its controls are not this page's to use
    if (board) leaderboard(board);
  }

  function dashboard(message) {
    const table = section.querySelector("#room-dashboard");
    if (!table) return;
    const head = el("tr", {}, ...["student", "mode", "epoch", "train loss", "test loss", "accuracy", "settings", ""].map((t) => el("th", {}, t)));
    const rows = message.students.map((s) => {
      const actions = el("td", { className: "room-actions" });
      if (s.connected) {
        for (const [label, msg] of [["spotlight", { type: "room_spotlight", student: s.nickname }],
          ["push", { type: "room_push", student: s.nickname }], ["remove", { type: "room_remove", student: s.nickname }]]) {
          const button = el("button", { type: "button", dataset: { action: label, student: s.nickname } }, label);
          button.addEventListener("click", () => send(msg));
          actions.append(button);
        }
      }
      return el("tr", { dataset: { student: s.nickname, connected: String(s.connected) } },
        el("td", {}, s.nickname, s.connected ? "" : " (gone)"), el("td", {}, s.mode ?? "–"), el("td", {}, s.epoch ?? "–"),
        el("td", {}, number(s.train_loss, 4)), el("td", {}, number(s.test_loss, 4)), el("td", {}, percent(s.test_accuracy)),
        el("td", { className: "small" }, s.summary ?? ""), actions);
    });
    table.replaceChildren(el("caption", { className: "small" }, rows.length ? "Students" : "No student yet: share the code or the link"), head, ...rows);
    if (message.leaderboard) leaderboard(message.leaderboard);
  }

  function leaderboard(message) {
    board = message;
    const place = section.querySelector("#room-leaderboard");
    if (!place || !info || info.mode !== "challenge") { if (place) place.replaceChildren(); return; }
    const { rules } = message;
    const goal = [`${rules.best} ${METRICS[rules.metric]}`, rules.target !== null ? `target ${rules.target}` : null,
      rules.max_weights !== null ? `≤ ${rules.max_weights} weights` : null,
      message.remaining !== null ? (message.over ? "time is up" : `${Math.ceil(message.remaining)} s left`) : null].filter(Boolean).join(" · ");
    const rows = message.leaderboard.map((e, i) => el("tr", {},
      el("td", {}, String(i + 1)), el("td", {}, e.nickname), el("td", {}, e.best === null ? "–" : metricText(rules.metric, e.best)),
      el("td", {}, e.reached !== null ? `reached at ${e.reached.toFixed(1)} s` : e.at !== null ? `at ${e.at.toFixed(1)} s` : ""),
      el("td", { className: "small" }, e.network ? `${e.network}, ${e.weights} weights` : "")));
    place.replaceChildren(el("table", { className: "room-leaderboard" }, el("caption", {}, `Leaderboard: ${goal}`), ...rows));
  }

  showLobby();
  return {
    hello() {
      const again = saved();
      if (again?.teacher_token) send({ type: "room_join", code: again.code, teacher_token: again.teacher_token });
      else if (again?.nickname && (!linkCode || linkCode === again.code)) join(again.code, again.nickname);
    },
    handle(message) {
      switch (message.type) {
        case "room": room(message); return true;
        case "room_dashboard": dashboard(message); return true;
        case "room_leaderboard": leaderboard(message); return true;
        case "room_pushed": status.textContent = `${status.textContent.split(" · pushed")[0]} · pushed: the teacher's network at step ${message.step}`; return true;
        case "room_closed": save(null); board = null; showLobby(`The class ended: ${message.reason}.`); return true;
        case "error":
          if (!message.code.startsWith("room_")) return false;
          if (["room_not_found", "room_bad_token"].includes(message.code) && saved()) { save(null); showLobby(); }
          status.textContent = message.message;
          return true;
        default: return false;
      }
    },
    get info() { return info; },
  };
}
