// Keyboard shortcuts: space plays or pauses, → trains one step, r resets. Typing in a field is left alone.

const KEYS = { " ": "play", ArrowRight: "step", r: "reset", R: "reset" };

/** Call actions[name]() for the shortcut keys, except while typing or when space would press a focused button. */
export function bindKeys(actions) {
  document.addEventListener("keydown", (event) => {
    const name = KEYS[event.key];
    if (!name || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, select, textarea, [contenteditable]")) return;
    if (name === "play" && event.target.closest("button, summary, a")) return;
    event.preventDefault();
    actions[name]();
  });
}
