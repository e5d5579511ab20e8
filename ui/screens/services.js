// The agent's active services, newest first, with Edit and Deactivate.
import { h, fill, busy, screenTitle } from "../lib/dom.js";
import { labelOf } from "../lib/fields.js";
import { money, turnaround } from "../lib/format.js";
import { readinessCard } from "./readiness.js";

export function renderServices(ctx) {
  const list = h("div", { id: "service-list", class: "service-list", "aria-busy": "true" }, h("p", { class: "muted loading" }, "Loading your services…"));
  const newButton = h("button", { type: "button", id: "service-new", class: "primary", hidden: true }, "New service");
  newButton.addEventListener("click", () => ctx.go("service-form"));
  const root = h(
    "section",
    { id: "screen-services", class: "screen" },
    h("div", { class: "screen-head" }, screenTitle("Your services"), newButton),
    readinessCard(ctx),
    list,
  );
  load(ctx, list, newButton);
  return root;
}

async function load(ctx, list, newButton) {
  try {
    const [services, catalog] = await Promise.all([ctx.api.services(), ctx.catalog()]);
    draw(ctx, list, newButton, sortNewestFirst(services), catalog);
  } catch (error) {
    ctx.showError(error);
    const retry = h("button", { type: "button", id: "services-retry", class: "secondary" }, "Try again");
    retry.addEventListener("click", () => ctx.go("services"));
    fill(list, h("p", { class: "muted" }, "Your services couldn't be loaded."), retry);
  } finally {
    list.removeAttribute("aria-busy");
  }
}

// Atelier already answers newest first; sorting again keeps that true whatever the source.
function sortNewestFirst(services) {
  return [...services].sort((a, b) => String(b.created_at ?? "").localeCompare(String(a.created_at ?? "")));
}

function draw(ctx, list, newButton, services, catalog) {
  if (!services.length) {
    // The empty state carries the one "New service" button, as its call to action.
    newButton.hidden = true;
    newButton.removeAttribute("id");
    const cta = h("button", { type: "button", id: "service-new", class: "primary" }, "Create my first service");
    cta.addEventListener("click", () => ctx.go("service-form"));
    fill(
      list,
      h(
        "div",
        { class: "card empty-state", id: "services-empty" },
        h("h3", {}, "Nothing for sale yet"),
        h("p", {}, "A service is one thing buyers can order from you: what you make, its price and how long it takes. Add your first one and it appears on Atelier right away."),
        cta,
      ),
    );
    return;
  }
  newButton.id = "service-new";
  newButton.hidden = false;
  const items = services.map((service) => serviceItem(ctx, service, catalog, () => remove(service)));
  const ul = h("ul", { class: "services", "aria-label": "Active services" }, items);
  fill(list, ul);

  function remove(service) {
    const rest = services.filter((s) => s.id !== service.id);
    draw(ctx, list, newButton, rest, catalog);
    // Keep the keyboard near where it was.
    (list.querySelector("li:first-child button") ?? document.getElementById("service-new"))?.focus();
  }
}

function serviceItem(ctx, service, catalog, onGone) {
  const time = turnaround(service.turnaround_hours);
  const edit = h("button", { type: "button", id: `service-edit-${service.id}`, class: "secondary small", "aria-label": `Edit ${service.title}` }, "Edit");
  edit.addEventListener("click", () => ctx.go("service-form", { service }));
  const deactivate = h(
    "button",
    { type: "button", id: `service-deactivate-${service.id}`, class: "secondary small danger-text", "aria-label": `Deactivate ${service.title}` },
    "Deactivate",
  );
  deactivate.addEventListener("click", () => confirmDeactivate(ctx, service, deactivate, onGone));

  return h(
    "li",
    { class: "card service", id: `service-${service.id}` },
    h("div", { class: "service-main" }, h("h3", { class: "service-title", dir: "auto" }, service.title), h("p", { class: "service-price" }, money(service.price_usd))),
    h(
      "p",
      { class: "service-meta" },
      h("span", { class: "tag" }, labelOf(catalog.capabilities, service.category)),
      h("span", {}, labelOf(catalog.price_types, service.price_type)),
      h("span", { "aria-label": `Turnaround ${time}` }, time),
    ),
    h("p", { class: "service-description", dir: "auto" }, service.description),
    service.deliverables?.length ? h("p", { class: "muted small" }, `Includes: ${service.deliverables.join(" · ")}`) : null,
    h("div", { class: "actions" }, h("span", { class: "spacer" }), deactivate, edit),
  );
}

async function confirmDeactivate(ctx, service, button, onGone) {
  ctx.clearError();
  const yes = await ctx.confirm({
    title: `Deactivate “${service.title}”?`,
    body: [
      "Its listing disappears from Atelier and buyers can no longer order it.",
      "This cannot be undone on Atelier. To offer it again later, you'd create a new service.",
    ],
    yes: "Deactivate",
    danger: true,
  });
  if (!yes) return;
  await busy(button, "Deactivating…", async () => {
    try {
      await ctx.api.deactivateService(service.id);
      onGone();
      ctx.showSuccess(`“${service.title}” is no longer offered.`);
    } catch (error) {
      ctx.showError(error);
    }
  });
}
