// Create or edit one service: the same fields as the wizard's last step.
import { h, busy, screenTitle } from "../lib/dom.js";
import { createForm } from "../lib/forms.js";
import { serviceFields, blankService, serviceToForm, servicePayload } from "../lib/fields.js";

export function renderServiceForm(ctx, { service } = {}) {
  const editing = Boolean(service);
  // What's typed lives here for as long as the screen does; errors never redraw the form.
  const values = editing ? serviceToForm(service) : blankService();
  const form = createForm({ prefix: "service", kind: "service", values, payload: servicePayload });

  const save = h("button", { type: "submit", id: "service-save", class: "primary" }, editing ? "Save changes" : "Create service");
  const cancel = h("button", { type: "button", id: "service-cancel", class: "secondary" }, "Cancel");
  cancel.addEventListener("click", () => ctx.go("services"));
  const body = h("form", { class: "card stack", novalidate: true, id: "service-form" }, h("p", { class: "muted loading" }, "Loading…"));
  // Enter in a one-line box shouldn't publish a half-written service.
  body.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.tagName === "INPUT") event.preventDefault();
  });

  ctx
    .catalog()
    .then((catalog) => body.replaceChildren(...serviceFields(form, catalog), h("div", { class: "actions" }, h("span", { class: "spacer" }), cancel, save)))
    .catch((error) => ctx.showError(error));

  body.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, editing ? "Saving…" : "Creating…", async () => {
      ctx.clearError();
      if ((await form.validate()).length) return form.focusFirstInvalid();
      try {
        const saved = editing ? await ctx.api.updateService(service.id, servicePayload(values)) : await ctx.api.createService(servicePayload(values));
        ctx.go("services");
        ctx.showSuccess(editing ? `“${saved.title}” is updated.` : `“${saved.title}” is now on Atelier.`);
      } catch (error) {
        if (form.applyServerError(error)) form.focusFirstInvalid();
        else ctx.showError(error);
      }
    });
  });

  return h(
    "section",
    { id: "screen-service-form", class: "screen", "data-mode": editing ? "edit" : "create", "data-service-id": service?.id },
    screenTitle(editing ? "Edit service" : "New service"),
    editing && h("p", { class: "lead" }, "Changes show on Atelier as soon as you save."),
    body,
  );
}
