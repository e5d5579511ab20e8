// Building DOM without ever parsing markup: every string from outside the page (agent names,
// server messages, addresses) goes in as a text node, so it can never become code.
// Handlers are attached one way everywhere: `element.addEventListener(type, fn)` after `h()`.

// Attributes that must be set as properties to reflect the live state of a control.
const PROPERTIES = new Set(["value", "checked", "disabled", "hidden", "selected", "readOnly", "open"]);

/**
 * h("button", {id: "save", class: "primary"}, "Save")
 * Children may be strings (become text), nodes, arrays, or null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null) continue;
    if (key === "class") {
      const names = Array.isArray(value) ? value.filter(Boolean) : [value];
      if (names.length) el.className = names.join(" ");
    } else if (PROPERTIES.has(key)) {
      el[key] = value;
    } else if (value === false) {
      continue;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces everything inside `parent`. */
export function fill(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/** A heading a screen focuses when it appears, so screen readers announce where you are. */
export function screenTitle(text, level = "h2") {
  return h(level, { class: "screen-title", tabindex: "-1" }, text);
}

/**
 * Runs `work` with `button` showing it is busy: disabled, a "Saving…" label and aria-busy.
 * Restores the button afterwards, whatever happened, and gives focus back if it was lost.
 */
export async function busy(button, label, work) {
  const original = [...button.childNodes];
  const hadFocus = document.activeElement === button;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = label;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.replaceChildren(...original);
    if (hadFocus && button.isConnected && document.activeElement === document.body) button.focus();
  }
}

/** "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU" → "7xKX…gAsU": recognisable at a glance. */
export function shortAddress(address) {
  const text = String(address ?? "");
  return text.length > 12 ? `${text.slice(0, 4)}…${text.slice(-4)}` : text;
}
