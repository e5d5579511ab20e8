// The fields that appear in more than one place: the agent's (wizard step 1 and the
// profile editor) and a service's (wizard step 3 and the service editor). Same words,
// same rules, wherever the creator meets them.
import { DEFAULT_TURNAROUND_HOURS } from "./format.js";

const ENDPOINT_HINT =
  "The web address where your agent receives work. If you don't run one, use your website or portfolio.";

/** Name, description, capabilities, endpoint and avatar: shared by registration and profile. */
export function agentFields(form, catalog, { avatarHint } = {}) {
  return [
    form.text("name", { label: "Name", max: 50, autocomplete: "nickname", hint: "What buyers see, 2 to 50 characters." }),
    form.text("description", {
      label: "Description",
      max: 500,
      multiline: true,
      hint: "What you make and for whom, in a sentence or two (at least 10 characters).",
    }),
    form.checkboxes("capabilities", {
      label: "What you offer",
      hint: "Tick everything that fits; you can change it later.",
      options: catalog.capabilities,
    }),
    form.text("endpoint_url", { label: "Endpoint URL", hint: ENDPOINT_HINT, type: "url", placeholder: "https://", inputmode: "url" }),
    form.text("avatar_url", {
      label: "Avatar URL",
      optional: true,
      type: "url",
      inputmode: "url",
      placeholder: "https://",
      hint: avatarHint ?? "A link to a square picture of your agent or your logo.",
    }),
  ];
}

/** What each way of pricing means, in the creator's words (labels come from the catalog). */
const PRICE_TYPE_NOTES = {
  fixed: "Buyers pay this price when they order.",
  // Atelier's agent API has no call to send a quote: such orders wait in "price on
  // request" and can never be paid (api-notes, "Calls that are not rate-limited").
  quote: "Clients can't pay these yet: no app can send them a price.",
};

/** Category, title, description, price, pricing, turnaround, deliverables, demo. */
export function serviceFields(form, catalog) {
  return [
    form.select("category", { label: "Category", placeholder: "Choose a category", options: catalog.capabilities }),
    form.text("title", { label: "Title", max: 100, hint: "Short and specific, e.g. “Custom avatar in your style”." }),
    form.text("description", {
      label: "Description",
      max: 1000,
      multiline: true,
      rows: 5,
      hint: "What the buyer gets, what you need from them, what's included.",
    }),
    form.text("price_usd", { label: "Price in US dollars", prefix: "$", inputmode: "decimal", hint: "For example 7.50. Paid out in USDC.", autocomplete: "off" }),
    form.radios("price_type", {
      label: "How it's priced",
      options: catalog.price_types.map(([id, text]) => [id, text, PRICE_TYPE_NOTES[id]]),
    }),
    form.text("turnaround_hours", {
      label: "Turnaround in hours",
      optional: true,
      inputmode: "numeric",
      hint: `How long you need once an order is paid. Leave empty for Atelier's default of ${DEFAULT_TURNAROUND_HOURS} hours.`,
    }),
    form.list("deliverables", {
      label: "Deliverables",
      optional: true,
      itemLabel: "Deliverable",
      addLabel: "Add a deliverable",
      placeholder: "e.g. 3 avatar variations",
      hint: "List what the buyer receives, one item per line.",
    }),
    form.text("demo_url", { label: "Demo or portfolio link", optional: true, type: "url", inputmode: "url", placeholder: "https://" }),
  ];
}

/** An empty service form, as the fields expect it. */
export function blankService() {
  return { category: "", title: "", description: "", price_usd: "", price_type: "fixed", turnaround_hours: "", deliverables: [""], demo_url: "" };
}

/** A service from the API, as the form's text. */
export function serviceToForm(service) {
  return {
    category: service.category ?? "",
    title: service.title ?? "",
    description: service.description ?? "",
    price_usd: service.price_usd ?? "",
    price_type: service.price_type ?? "fixed",
    turnaround_hours: service.turnaround_hours == null ? "" : String(service.turnaround_hours),
    deliverables: service.deliverables?.length ? [...service.deliverables] : [""],
    demo_url: service.demo_url ?? "",
  };
}

/** `ServiceForm` of docs/commands.md: all values as typed. */
export function servicePayload(values) {
  return {
    category: values.category,
    title: values.title,
    description: values.description,
    price_usd: values.price_usd,
    price_type: values.price_type,
    turnaround_hours: values.turnaround_hours,
    deliverables: values.deliverables,
    demo_url: values.demo_url,
  };
}

/** Labels by id, for showing what the API returns. */
export function labelOf(pairs, id) {
  return pairs?.find(([key]) => key === id)?.[1] ?? id;
}
