// The whole setup in the URL hash (sharing the link shares the setup) and `?hide=a,b` for a class.

const NUMBER = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

function scalar(text) {
  if (NUMBER.test(text)) return Number(text);
  if (text === "true" || text === "false") return text === "true";
  return text;
}

/** One value as it reads in the hash: lists comma-joined, objects as JSON, the rest as is. */
export function encodeValue(value) {
  if (Array.isArray(value) && value.every((v) => typeof v !== "object")) return value.join(",");
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** Parse a hash value, using the reference value (the server's default) for its type. */
export function decodeValue(text, reference) {
  if (text.startsWith("{") || text.startsWith("[")) {
    try { return JSON.parse(text); } catch { return text; }
  }
  if (Array.isArray(reference) || text.includes(",")) return text === "" ? [] : text.split(",").map(scalar);
  if (typeof reference === "string") return NUMBER.test(text) ? Number(text) : text;  // speed: "max" or a number
  if (typeof reference === "boolean") return text === "true";
  if (typeof reference === "number") return Number.isFinite(Number(text)) ? Number(text) : text;
  return scalar(text);
}

/** Raw key → text pairs of the current hash. */
export function readHash() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  return Object.fromEntries(params.entries());
}

/** Write the setup into the hash without adding a history entry per change. */
export function writeHash(values) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== null) params.set(key, encodeValue(value));
  }
  const hash = "#" + params.toString().replaceAll("%2C", ",");
  if (hash !== location.hash) history.replaceState(null, "", location.pathname + location.search + hash);
}

/** Names listed in `?hide=name,name`. */
export function hiddenNames() {
  const hide = new URLSearchParams(location.search).get("hide");
  return hide ? hide.split(",").map((s) => s.trim()).filter(Boolean) : [];
}
