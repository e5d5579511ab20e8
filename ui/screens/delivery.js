// Delivering one order, inline under its card: the link to the finished work and what it is
// (pre-selected from the link until the creator picks one by hand), a confirmation, then
// `deliver` queues it. The outcome arrives later as a watch-event; the order list shows it.
import { h, busy } from "../lib/dom.js";
import { createForm } from "../lib/forms.js";

/** How long Atelier gives the client to review a delivery. */
const REVIEW_HOURS = 48;

export const FALLBACK_MEDIA_TYPES = [
  ["image", "Image"],
  ["video", "Video"],
];

/**
 * The form for `order`. onCancel(): the creator closed it. onQueued(view): `deliver`
 * accepted it, with the WatchView it answered. Returns {orderId, element}; what is typed stays
 * in the form for as long as it is open, whatever the list redraws around it.
 */
export function deliveryForm(ctx, order, { mediaTypes = FALLBACK_MEDIA_TYPES, onCancel, onQueued }) {
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

  const element = h(
    "fieldset",
    { class: "delivery-form plain", id: `delivery-form-${order.id}` },
    h("legend", { class: "sr-only" }, `Deliver ${order.service_title ?? "this order"}`),
    urlField,
    typeField,
    h("div", { class: "actions" }, h("span", { class: "spacer" }), cancel, submit),
  );

  async function send() {
    ctx.clearError();
    if ((await form.validate()).length) return form.focusFirstInvalid();
    const yes = await ctx.confirm({
      title: "Deliver to the client?",
      body: [`They'll have ${REVIEW_HOURS} hours to review.`, h("p", { class: "wrap" }, "Link: ", h("span", { class: "mono" }, values.deliverable_url))],
      yes: "Deliver",
    });
    if (!yes) return;
    await busy(submit, "Sending…", async () => {
      try {
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
