// The real marketplace's address, changeable under "Advanced" on the welcome screen and in
// Settings. Rust decides which addresses are allowed (error field `base_url`); the page
// only catches what is plainly not a web address before asking.
import { h } from "./dom.js";
import { createForm } from "./forms.js";

export function baseUrlForm(session, info) {
  const fallback = session?.default_base_url ?? info?.api_base_url ?? "";
  const values = { base_url: session?.live_base_url ?? fallback };
  const form = createForm({ prefix: "live", kind: null, values });
  const field = form.text("base_url", {
    label: "Address of the real marketplace",
    type: "url",
    inputmode: "url",
    mono: true,
    hint: `Change it only if Atelier told you to. The usual address is ${fallback}`,
  });
  const useDefault = h("button", { type: "button", id: "live-base_url-default", class: "secondary small" }, "Use the usual address");
  useDefault.addEventListener("click", () => {
    values.base_url = fallback;
    const input = document.getElementById("live-base_url");
    input.value = fallback;
    form.clearErrors();
    input.focus();
  });

  /** True when the address can be sent; otherwise says why under the field. */
  function looksValid() {
    const text = values.base_url.trim();
    if (text === "") return true; // empty means "the usual address"
    try {
      const url = new URL(text);
      if (url.protocol === "https:" || url.protocol === "http:") return true;
    } catch {
      // fall through
    }
    form.setError("base_url", "Enter a full web address starting with https://");
    return false;
  }

  return { form, values, field, useDefault, looksValid };
}
