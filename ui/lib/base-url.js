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

/**
 * Sends an address with `send(confirmed)`. When a real-marketplace agent is remembered and the
 * address changes, the engine first refuses with `confirm_address_change`, whose message names
 * the agent that would be signed out: ask, and send again confirmed on yes. Resolves to the
 * answer, or null when the creator kept things as they are; other errors are thrown as they come.
 */
export async function sendAddress(confirm, send) {
  try {
    return await send(false);
  } catch (error) {
    if (error?.code !== "confirm_address_change") throw error;
    const yes = await confirm({
      title: "Change the marketplace's address?",
      body: error.message,
      yes: "Change and sign out",
      danger: true,
    });
    return yes ? send(true) : null;
  }
}
