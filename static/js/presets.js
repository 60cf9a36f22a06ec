// The preset menu for the playground: the lessons' one-click configurations (GET /api/presets), grouped by topic,
// with each one's explanation, what to look at and what to try next. Applying one is the page's job (`apply`).
//
//   const menu = mountPresets(container, { apply: (preset) => { send config; watch_claim with reset; play } });
//   menu.select(id)  — apply a preset by id (also happens on load and on hashchange for #preset=<id>)
//   menu.pauseWanted — whether the student asked to pause where the claim is decided
//   menu.claim(msg)  — show a `claim` message from the server (watching, shown, not_shown, dropped)

const GROUPS = {
  "update-rule": "The update rule", "learning-rate": "Learning rate", "batch-size": "Batch size",
  depth: "Deep networks", optimizers: "Optimizers", capacity: "Capacity", "data-order": "Data order",
  generalisation: "Overfitting", activations: "Activations", initialisation: "Initialisation",
};

/** The preset id in a URL hash such as "#preset=xor" or "#lr=0.1&preset=xor"; null if none. */
export function presetFromHash(hash) {
  const params = new URLSearchParams(String(hash || "").replace(/^#/, ""));
  return params.get("preset") || null;
}

function number(x) {
  if (x === null) return "—";
  if (Number.isInteger(x) && Math.abs(x) < 1e6) return String(x);
  return Number(x.toPrecision(3)).toString();
}

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

export function mountPresets(container, { apply, rewatch, fetchPresets = () => fetch("/api/presets").then((r) => r.json()) }) {
  const select = h("select", { id: "preset-select", "aria-label": "Lesson preset" },
    h("option", { value: "" }, "Lessons: choose a preset…"));
  const card = h("div", { class: "preset-card", id: "preset-card", "aria-live": "polite" });
  container.append(h("label", { class: "preset-menu" }, select), card);
  let presets = new Map();
  let ready = null;

  const claimBox = h("div", { class: "preset-claim", id: "preset-claim", role: "status", "aria-live": "polite" });
  const pauseBox = h("input", { type: "checkbox", id: "claim-pause" });
  const pauseLabel = h("label", { class: "claim-pause" }, pauseBox, " Pause where the claim is decided");
  let current = null;

  const conditions = (list) => h("ul", { class: "claim-numbers" },
    ...list.map((c) => h("li", { class: c.held ? "good" : "bad" },
      `${c.label}: ${number(c.value)} ${c.op} ${number(c.limit)}`)));

  const rewatchButton = () => {
    const button = h("button", { type: "button", id: "claim-rewatch" }, "Reset and watch the claim again");
    button.addEventListener("click", () => current && rewatch(current));
    return button;
  };

  const showClaim = (message) => {
    if (!current || message.preset !== current.id) return;
    const status = {
      watching: () => [h("p", {}, h("strong", {}, "Claim: "), message.claim, "."),
        h("p", { class: "claim-status" }, `Watching this run: it is judged at step ${message.horizon}.`)],
      shown: () => [h("p", { class: "claim-status good" }, h("strong", {}, `Claim shown at step ${message.step}: `),
        message.claim, "."), conditions(message.conditions)],
      not_shown: () => [h("p", { class: "claim-status bad" },
        h("strong", {}, `Claim not shown by step ${message.step}: `), message.claim, "."),
        conditions(message.conditions), h("p", {}, h("strong", {}, "Try: "), message.try_instead)],
      dropped: () => [h("p", {}, h("strong", {}, "Claim: "), message.claim, "."),
        h("p", { class: "claim-status" }, `No longer watched: ${message.reason}. The claim is about the preset's own `
          + "run, from a fresh start."), rewatchButton()],
    }[message.status];
    if (!status) throw new Error(`unknown claim status ${message.status}`);
    claimBox.dataset.status = message.status;
    claimBox.replaceChildren(...status());
  };

  const show = (preset) => {
    const related = preset.related.length ? h("p", { class: "preset-related" }, "Compare: ",
      ...preset.related.flatMap((id, k) => [k ? ", " : "",
        h("a", { href: `#preset=${id}`, "data-preset": id }, presets.get(id)?.title || id)])) : "";
    card.replaceChildren(
      h("h3", {}, preset.title),
      h("p", { class: "preset-explanation" }, preset.explanation),
      h("p", { class: "preset-look" }, h("strong", {}, "Look at: "), preset.look_at),
      h("p", { class: "preset-try" }, h("strong", {}, "Try next: "), preset.try_next),
      related, claimBox, pauseLabel);
    claimBox.dataset.status = "";
    claimBox.replaceChildren(h("p", {}, h("strong", {}, "Claim: "), preset.claim, "."));
  };

  const menu = {
    /** Apply the preset `id`: show its card, hand it to `apply`, and note it in window.__playground.preset. */
    async select(id) {
      await ready;
      const preset = presets.get(id);
      if (!preset) return false;
      select.value = id;
      current = preset;
      show(preset);
      if (window.__playground) window.__playground.preset = id;
      apply(preset);
      return true;
    },
    get presets() { return [...presets.values()]; },
    get pauseWanted() { return pauseBox.checked; },
    claim: showClaim,
  };

  ready = Promise.resolve(fetchPresets()).then((list) => {
    presets = new Map(list.map((p) => [p.id, p]));
    const groups = new Map();
    for (const p of list) {
      if (!groups.has(p.group)) groups.set(p.group, h("optgroup", { label: GROUPS[p.group] || p.group }));
      groups.get(p.group).append(h("option", { value: p.id }, p.title));
    }
    select.append(...groups.values());
  }).catch(() => {
    card.textContent = "The lesson presets could not be loaded; reload the page to try again.";
  });

  select.addEventListener("change", () => {
    if (!select.value) return;
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    params.set("preset", select.value);
    history.replaceState(null, "", `#${params}`);
    menu.select(select.value);
  });
  window.addEventListener("hashchange", () => {
    const id = presetFromHash(location.hash);
    if (id && id !== select.value) menu.select(id);
  });
  const initial = presetFromHash(location.hash);
  if (initial) menu.select(initial);
  return menu;
}
