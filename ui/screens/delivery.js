// Delivering one order, inline under its card: the link to the finished work and what it is
// (pre-selected from the link until the creator picks one by hand), a check of the link
// from this computer (`check_link`: will the client see the promised image or video?), a
// confirmation, then `deliver` queues it. The outcome arrives later as a watch-event; the
// order list shows it.
//
// A link that fails the check is not sent: the check's words go beside the link, with
// "Fix the link" (back to the box, everything typed still there) and "Send anyway" (the
// check may be wrong: a link only the client can open, a server that dislikes checks). When
// the check itself cannot run, the delivery goes ahead with a note saying so.
import { h, busy } from "../lib/dom.js";
import { createForm } from "../lib/forms.js";

/** How long Atelier gives the client to review a delivery. */
const REVIEW_HOURS = 48;

export const FALLBACK_MEDIA_TYPES = [
  ["image", "Image"],
  ["video", "Video"],
];

/**
 * The form for `order`. onCancel(): the creator closed it. onSending(): `deliver` is about
 * to be asked. onQueued(view): `deliver` accepted it, with the WatchView it answered.
 * Returns {orderId, element}; what is typed stays in the form for as long as it is open,
 * whatever the list redraws around it.
 */
export function deliveryForm(ctx, order, { mediaTypes = FALLBACK_MEDIA_TYPES, onCancel, onSending, onQueued }) {
  const values = { deliverable_url: "", deliverable_media_type: "" };
  const form = createForm({ prefix: "delivery", kind: "delivery", values });
  const urlField = form.text("deliverable_url", {
    label: "Link to the finished work",
    type: "url",
    inputmode: "url",
    placeholder: "https://",
    hint: "A public https:// link to the picture or video you made for this client.",
  });
  const typeField = form.select("deliverable_media_type", { label: "What it is", placeholder: "Choose…", options: mediaTypes });
  guessTypeFromLink(ctx, urlField.querySelector("input"), typeField.querySelector("select"));

  const submit = h("button", { type: "button", id: "delivery-submit", class: "primary" }, "Deliver");
  const cancel = h("button", { type: "button", id: "delivery-cancel", class: "secondary" }, "Cancel");
  cancel.addEventListener("click", onCancel);
  submit.addEventListener("click", () => send());

  // What to do about a link that failed the check; its words are the link's field message.
  const fixLink = h("button", { type: "button", id: "delivery-fix-link", class: "primary small" }, "Fix the link");
  const sendAnyway = h("button", { type: "button", id: "delivery-send-anyway", class: "secondary small" }, "Send anyway");
  const linkCheck = h(
    "div",
    { class: "link-check", id: "delivery-link-check", hidden: true },
    h("p", { class: "small muted" }, "The check may be wrong, for example when only the client can open the link."),
    h("div", { class: "actions" }, fixLink, sendAnyway),
  );
  const urlInput = urlField.querySelector("input");
  fixLink.addEventListener("click", () => {
    urlInput.focus();
    urlInput.select();
  });
  sendAnyway.addEventListener("click", () => {
    hideVerdict();
    confirmAndDeliver({ note: null, checked: null });
  });
  // Another link or another kind of file: the verdict no longer applies (the field's
  // message goes by itself when the link is edited).
  urlInput.addEventListener("input", () => (linkCheck.hidden = true));
  typeField.querySelector("select").addEventListener("change", () => (linkCheck.hidden = true));

  const element = h(
    "fieldset",
    { class: "delivery-form plain", id: `delivery-form-${order.id}` },
    h("legend", { class: "sr-only" }, `Deliver ${order.service_title ?? "this order"}`),
    urlField,
    linkCheck,
    typeField,
    h("div", { class: "actions" }, h("span", { class: "spacer" }), cancel, submit),
  );

  /** The check's message beside the link (kept until the link is edited), and the two ways on. */
  function showVerdict(verdict) {
    form.setError("deliverable_url", verdict.message || "The client may not be able to open this link.");
    linkCheck.dataset.problem = verdict.problem ?? "";
    linkCheck.hidden = false;
    fixLink.focus();
  }

  function hideVerdict() {
    if (linkCheck.hidden && !linkCheck.dataset.problem) return;
    linkCheck.hidden = true;
    delete linkCheck.dataset.problem;
    // Its message was put under the link as a field error: take it back, so a new try is checked afresh.
    form.clearErrors();
  }

  async function send() {
    ctx.clearError();
    hideVerdict();
    if ((await form.validate()).length) return form.focusFirstInvalid();
    const link = { url: values.deliverable_url, type: values.deliverable_media_type };
    const verdict = await busy(submit, "Checking the link…", async () => {
      try {
        return await ctx.api.checkLink(link.url, link.type);
      } catch (error) {
        return { failed: error };
      }
    });
    // Edited while it was being checked: the creator is still at it.
    if (values.deliverable_url !== link.url || values.deliverable_media_type !== link.type) return;
    if (verdict?.failed) {
      const why = verdict.failed?.message ? ` (${verdict.failed.message})` : "";
      return confirmAndDeliver({ note: `Atelier Desk couldn't check this link just now${why}. It will be sent as you typed it.`, checked: null });
    }
    if (!verdict?.ok) return showVerdict(verdict ?? {});
    return confirmAndDeliver({ note: null, checked: verdict.message });
  }

  /** The confirmation, then `deliver` with the link exactly as typed. */
  async function confirmAndDeliver({ note, checked }) {
    const yes = await ctx.confirm({
      title: "Deliver to the client?",
      body: [
        `They'll have ${REVIEW_HOURS} hours to review.`,
        h("p", { class: "wrap" }, "Link: ", h("span", { class: "mono", dir: "auto" }, values.deliverable_url)),
        checked ? h("p", { class: "small", id: "confirm-link-ok" }, checked) : null,
        note ? h("p", { class: "small muted", id: "confirm-link-unchecked" }, note) : null,
      ].filter(Boolean),
      yes: "Deliver",
    });
    if (!yes) return;
    await busy(submit, "Sending…", async () => {
      try {
        onSending?.();
        const view = await ctx.api.deliver({
          orderId: order.id,
          form: { deliverable_url: values.deliverable_url, deliverable_media_type: values.deliverable_media_type },
        });
        onQueued(view);
      } catch (error) {
        if (form.applyServerError(error)) form.focusFirstInvalid();
        else ctx.showError(error);
      }
    });
  }

  return { orderId: order.id, element };
}

/** Pre-selects the media type from the link as it is typed, unless the creator picked one. */
function guessTypeFromLink(ctx, url, select) {
  let chosenByHand = false;
  let guessing = 0;
  select.addEventListener("change", (event) => {
    if (event.isTrusted) chosenByHand = true;
  });
  url.addEventListener("input", async () => {
    const mine = ++guessing;
    let guess = null;
    try {
      guess = await ctx.api.guessMediaType(url.value);
    } catch {
      return;
    }
    if (mine !== guessing || chosenByHand || !guess || select.value === guess) return;
    select.value = guess;
    // Through the form's own listener, so `values` and the live check follow.
    select.dispatchEvent(new Event("change"));
  });
}
