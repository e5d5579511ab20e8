// Form fields with their label, hint, live character count and error message, bound to a
// plain JS object. The object is the source of truth: re-rendering a screen from it, or an
// error from the server, never loses anything the creator typed.
//
// Checking happens in Rust (`check_form`), the same rules the server applies, as the
// creator types (debounced) and before anything is sent.
import { api } from "../api.js";
import { h } from "./dom.js";

const DEBOUNCE_MS = 200;

/**
 * prefix: the id prefix ("agent" → #agent-name, #agent-name-error)
 * kind:   the check_form kind, or null for forms with no live check
 * values: the object the fields read from and write to
 * payload(values): what check_form gets, when it differs from `values`
 */
export function createForm({ prefix, kind, values, payload = (v) => v }) {
  const fields = new Map(); // name → {controls, error, quietWhenEmpty}
  const touched = new Set();
  const serverErrors = new Map(); // field → message, until that field is edited
  let checked = []; // the last answer of check_form
  let timer = null;
  let sequence = 0;

  const idOf = (name) => `${prefix}-${name}`;

  // --- Live checking ------------------------------------------------------------------

  function edited(name) {
    touched.add(name);
    serverErrors.delete(name);
    schedule();
  }

  function schedule() {
    if (!kind) return render();
    clearTimeout(timer);
    timer = setTimeout(check, DEBOUNCE_MS);
  }

  async function check() {
    clearTimeout(timer);
    if (!kind) return [];
    const mine = ++sequence;
    let problems;
    try {
      problems = await api.checkForm(kind, payload(values));
    } catch {
      // No live check available: the server still checks on submit.
      problems = [];
    }
    if (mine !== sequence) return checked; // a newer check is on its way
    checked = Array.isArray(problems) ? problems : [];
    render();
    return checked;
  }

  function isEmpty(value) {
    return Array.isArray(value) ? value.length === 0 : String(value ?? "").trim() === "";
  }

  function messageFor(name) {
    if (serverErrors.has(name)) return serverErrors.get(name);
    if (!touched.has(name)) return "";
    const field = fields.get(name);
    if (field?.quietWhenEmpty && isEmpty(values[name])) return "";
    return checked.find((p) => p.field === name)?.message ?? "";
  }

  function render() {
    for (const [name, field] of fields) {
      const message = messageFor(name);
      field.error.textContent = message;
      for (const control of field.controls()) {
        if (message) control.setAttribute("aria-invalid", "true");
        else control.removeAttribute("aria-invalid");
      }
    }
  }

  // --- What screens call --------------------------------------------------------------

  const form = {
    values,

    /** Checks now and shows every problem of this form; resolves to the problems shown. */
    async validate() {
      for (const name of fields.keys()) touched.add(name);
      await check();
      render();
      return form.problems();
    },

    /** The problems currently shown, in field order. */
    problems() {
      return [...fields.keys()]
        .map((name) => ({ field: name, message: messageFor(name) }))
        .filter((p) => p.message);
    },

    /**
     * Puts a server error under its field(s). Returns true when every problem found a
     * field of this form; false means the caller shows it in the banner.
     */
    applyServerError(error) {
      const problems = error?.problems?.length
        ? error.problems
        : error?.field
          ? [{ field: error.field, message: error.message }]
          : [];
      if (!problems.length || !problems.every((p) => fields.has(p.field))) return false;
      for (const p of problems) serverErrors.set(p.field, p.message);
      render();
      return true;
    },

    /** Shows a message under a field, as if the server had said it. */
    setError(name, message) {
      serverErrors.set(name, message);
      render();
    },

    clearErrors() {
      serverErrors.clear();
      touched.clear();
      render();
    },

    focusFirstInvalid() {
      for (const [name, field] of fields) {
        if (messageFor(name)) {
          // Scroll the whole field in, so its label and message show, not just the box.
          const control = field.controls()[0];
          control?.focus({ preventScroll: true });
          (control?.closest(".field") ?? control)?.scrollIntoView({ block: "nearest" });
          return true;
        }
      }
      return false;
    },

    // --- Field builders -------------------------------------------------------------
    // Each builds its control(s) and hands them to `shell`, which adds the rest.

    /**
     * A text input or textarea. Options: label, hint, max (shows "12 / 500"), optional,
     * multiline, type, inputmode, autocomplete, placeholder, mono, prefix (e.g. "$"),
     * trailing(control) → an element placed right after the box.
     */
    text(name, opts) {
      const id = idOf(name);
      const count = opts.max ? h("span", { class: "count", id: `${id}-count`, "aria-live": "off" }) : null;
      const control = h(opts.multiline ? "textarea" : "input", {
        id,
        name,
        type: opts.multiline ? undefined : (opts.type ?? "text"),
        class: opts.mono ? "mono" : undefined,
        rows: opts.multiline ? (opts.rows ?? 4) : undefined,
        inputmode: opts.inputmode,
        autocomplete: opts.autocomplete ?? "off",
        spellcheck: opts.spellcheck ?? (opts.multiline ? "true" : "false"),
        placeholder: opts.placeholder,
        value: values[name] ?? "",
      });
      const updateCount = () => {
        if (!count) return;
        const length = control.value.length;
        count.textContent = `${length} / ${opts.max}`;
        count.classList.toggle("over", length > opts.max);
      };
      control.addEventListener("input", () => {
        values[name] = control.value;
        updateCount();
        edited(name);
      });
      // No check on blur: tabbing past a field isn't a mistake. Typing or submitting is.
      updateCount();

      // A "$" before the box, or a button after it (e.g. Show/Hide for a key).
      const before = opts.prefix && h("span", { class: "affix-text", "aria-hidden": "true" }, opts.prefix);
      const after = opts.trailing?.(control);
      const box = before || after ? h("div", { class: "affix" }, before, control, after) : control;
      return shell(name, opts, { body: box, described: [control], controls: () => [control], count });
    },

    /** A <select>. options: [[id, label]…]; placeholder: the text of the empty choice. */
    select(name, opts) {
      const control = h(
        "select",
        { id: idOf(name), name },
        h("option", { value: "" }, opts.placeholder ?? "Choose…"),
        opts.options.map(([value, text]) => h("option", { value }, text)),
      );
      control.value = values[name] ?? "";
      control.addEventListener("change", () => {
        values[name] = control.value;
        edited(name);
      });
      return shell(name, opts, { body: control, described: [control], controls: () => [control] });
    },

    /** Several checkboxes for one array field. options: [[id, label]…]. */
    checkboxes(name, opts) {
      const id = idOf(name);
      const chosen = new Set(values[name] ?? []);
      const boxes = opts.options.map(([value]) => h("input", { type: "checkbox", id: `${id}-${value}`, name, value, checked: chosen.has(value) }));
      for (const box of boxes) {
        box.addEventListener("change", () => {
          // Keep the catalog's order, whatever order they were ticked in.
          values[name] = boxes.filter((b) => b.checked).map((b) => b.value);
          edited(name);
        });
      }
      const choices = h(
        "div",
        { class: "choices" },
        opts.options.map(([value, text], i) => h("label", { class: "choice", for: `${id}-${value}` }, boxes[i], h("span", {}, text))),
      );
      return shell(name, opts, { body: choices, controls: () => boxes, group: true, quietWhenEmpty: true });
    },

    /** Radio buttons for one choice. options: [[id, label, explanation?]…]. */
    radios(name, opts) {
      const id = idOf(name);
      const radios = opts.options.map(([value]) => h("input", { type: "radio", id: `${id}-${value}`, name: id, value, checked: values[name] === value }));
      for (const radio of radios) {
        radio.addEventListener("change", () => {
          if (!radio.checked) return;
          values[name] = radio.value;
          edited(name);
        });
      }
      const choices = h(
        "div",
        { class: "choices" },
        opts.options.map(([value, text, explanation], i) =>
          h("label", { class: "choice", for: `${id}-${value}` }, radios[i], h("span", {}, text, explanation && h("span", { class: "choice-note" }, explanation))),
        ),
      );
      return shell(name, opts, { body: choices, controls: () => radios, group: true });
    },

    /** An add/remove list of short texts (e.g. deliverables). */
    list(name, opts) {
      const id = idOf(name);
      if (!Array.isArray(values[name])) values[name] = [];
      const rows = h("ol", { class: "list-rows" });
      const addButton = h("button", { type: "button", id: `${id}-add`, class: "secondary small" }, opts.addLabel ?? "Add");

      const row = (text, index) => {
        const inputId = `${id}-${index}`;
        const input = h("input", {
          id: inputId,
          type: "text",
          value: text,
          autocomplete: "off",
          placeholder: index === 0 ? opts.placeholder : undefined,
          "aria-describedby": `${id}-error`,
        });
        input.addEventListener("input", () => {
          values[name][index] = input.value;
          edited(name);
        });
        const remove = h(
          "button",
          { type: "button", id: `${id}-remove-${index}`, class: "secondary small", "aria-label": `Remove ${opts.itemLabel ?? "item"} ${index + 1}` },
          "Remove",
        );
        remove.addEventListener("click", () => {
          values[name].splice(index, 1);
          drawRows();
          edited(name);
          // Keep the keyboard where it was: the row that moved up, or the Add button.
          (document.getElementById(`${id}-${Math.min(index, values[name].length - 1)}`) ?? addButton).focus();
        });
        return h("li", { class: "list-row" }, h("label", { for: inputId, class: "sr-only" }, `${opts.itemLabel ?? "Item"} ${index + 1}`), input, remove);
      };
      const drawRows = () => rows.replaceChildren(...values[name].map(row));
      addButton.addEventListener("click", () => {
        values[name].push("");
        drawRows();
        document.getElementById(`${id}-${values[name].length - 1}`)?.focus();
      });
      drawRows();
      const body = [rows, h("div", { class: "list-add" }, addButton)];
      return shell(name, opts, { body, controls: () => [...rows.querySelectorAll("input")], group: true, quietWhenEmpty: true });
    },
  };

  /**
   * The one frame every field gets: its label (a <legend> for a group of controls), hint,
   * the control(s), and the slot for its message. Registers the field for checking.
   * body: what goes between hint and message; controls(): the inputs to mark invalid;
   * described: controls that point at the hint, count and message (a group's fieldset does);
   * quietWhenEmpty: no live message while nothing is entered (optional fields, lists).
   */
  function shell(name, opts, { body, controls, described = [], count = null, group = false, quietWhenEmpty = Boolean(opts.optional) }) {
    const id = idOf(name);
    const hint = opts.hint ? h("p", { class: "hint", id: `${id}-hint` }, opts.hint) : null;
    const error = h("p", { class: "field-error", id: `${id}-error` });
    const describedBy = [hint?.id, count?.id, error.id].filter(Boolean).join(" ");
    for (const control of described) control.setAttribute("aria-describedby", describedBy);
    fields.set(name, { controls, error, quietWhenEmpty });
    if (group) {
      return h(
        "fieldset",
        { class: "field group", id, "data-field": name, "aria-describedby": describedBy },
        h("legend", {}, label(opts)),
        hint,
        body,
        error,
      );
    }
    return h("div", { class: "field", "data-field": name }, h("div", { class: "field-head" }, h("label", { for: id }, label(opts)), count), hint, body, error);
  }

  return form;
}

function label(opts) {
  return opts.optional && !opts.hideOptional ? [opts.label, h("span", { class: "optional" }, " (optional)")] : opts.label;
}

/** A password-style input's Show/Hide switch. */
export function revealToggle(input) {
  const button = h("button", { type: "button", id: `${input.id}-toggle`, class: "secondary small", "aria-pressed": "false", "aria-controls": input.id }, "Show");
  button.addEventListener("click", () => {
    const showing = input.type === "text";
    input.type = showing ? "password" : "text";
    button.textContent = showing ? "Show" : "Hide";
    button.setAttribute("aria-pressed", String(!showing));
  });
  return button;
}

