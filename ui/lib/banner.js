// The strips above every screen: which marketplace is active, a notice from the app, a
// keyring problem, the last error, the last success. Their elements live in index.html so
// they outlast screen changes; these functions only fill them.
import { h, fill } from "./dom.js";
import { clockTime } from "./format.js";

const byId = (id) => document.getElementById(id);

/** The host of a base URL, for "Connected to Atelier (agentgram.fun)". */
export function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return url ?? "";
  }
}

/**
 * Always visible: practice and real look different on purpose, so nobody mistakes a
 * rehearsal for a sale. `onSwitch` is left out where switching would lose work.
 */
export function renderModeBanner(session, onSwitch) {
  const el = byId("mode-banner");
  el.classList.remove("mode-practice", "mode-live", "mode-none");
  if (session?.mode === "practice") {
    el.classList.add("mode-practice");
    fill(
      el,
      h("span", { class: "mode-label" }, h("strong", {}, "Practice mode"), " — nothing here is real"),
      onSwitch && switchButton("Switch to Atelier", () => onSwitch("live")),
    );
  } else if (session?.mode === "live") {
    el.classList.add("mode-live");
    const host = hostOf(session.base_url ?? session.live_base_url);
    fill(
      el,
      h("span", { class: "mode-label" }, h("strong", {}, "Connected to Atelier"), ` (${host})`),
      onSwitch && switchButton("Switch to Practice mode", () => onSwitch("practice")),
    );
  } else {
    el.classList.add("mode-none");
    fill(el, h("span", { class: "mode-label" }, "Not connected yet: choose Atelier or Practice mode below."));
  }
}

function switchButton(label, onClick) {
  const button = h("button", { type: "button", id: "mode-switch", class: "link-button" }, label);
  button.addEventListener("click", onClick);
  return button;
}

/** A message from the app itself (e.g. a damaged settings file), until dismissed. */
export function renderNotice(session, onDismiss) {
  const el = byId("banner-notice");
  el.hidden = !session?.notice;
  if (el.hidden) return el.replaceChildren();
  const dismiss = h("button", { type: "button", id: "notice-dismiss", class: "secondary small" }, "Dismiss");
  dismiss.addEventListener("click", onDismiss);
  fill(el, h("p", { class: "banner-message" }, session.notice), dismiss);
}

/** The keyring could not read or store the key: say what that means and offer a retry. */
export function renderKeyringBanner(session, onRetry, visible = true, note = null) {
  const el = byId("banner-keyring");
  const problem = keyringTrouble(session);
  el.hidden = !visible || !problem;
  if (el.hidden) return el.replaceChildren();
  const retry = h("button", { type: "button", id: "keyring-retry", class: "secondary small" }, "Retry");
  retry.addEventListener("click", () => onRetry(retry));
  fill(
    el,
    h(
      "div",
      { class: "banner-message" },
      h("p", {}, h("strong", {}, "Your system keyring isn't working. "), problem),
      note && h("p", { class: "banner-detail" }, note),
    ),
    retry,
  );
}

/** What to say after Retry didn't help, so the click visibly did something. */
export function stillFailing() {
  return `Tried again at ${clockTime(Date.now())}: still not working.`;
}

/** Plain words for a keyring problem, or null when the key is safely stored. */
export function keyringTrouble(session) {
  if (!session) return null;
  if (session.keyring_problem) {
    const consequence =
      session.signed_in && !session.key_saved
        ? " Your API key is kept in memory only and will be forgotten when you quit the app."
        : "";
    return `${session.keyring_problem.message}${consequence}`;
  }
  if (session.signed_in && !session.key_saved) {
    return "Your API key couldn't be stored, so it will be forgotten when you quit the app.";
  }
  return null;
}

/** The words to show for an error from api.js. */
function describeError(error) {
  const lines = [error?.message ?? "Something went wrong."];
  if (error?.code === "rate_limited" && Number.isFinite(error.retry_after_secs)) {
    lines.push(`That's around ${clockTime(Date.now() + error.retry_after_secs * 1000)}.`);
  }
  return lines;
}

export function showError(error) {
  clearSuccess();
  const el = byId("banner-error");
  const [message, ...more] = describeError(error);
  const dismiss = h("button", { type: "button", id: "banner-error-dismiss", class: "secondary small" }, "Dismiss");
  dismiss.addEventListener("click", clearError);
  fill(
    el,
    h(
      "div",
      { class: "banner-message" },
      h("p", {}, message),
      more.map((line) => h("p", {}, line)),
      error?.detail && h("p", { class: "banner-detail" }, "Atelier said: ", h("span", { class: "server-words", dir: "auto" }, error.detail)),
    ),
    dismiss,
  );
  el.hidden = false;
  // The banner sits above the screen: bring it into view, or a long form hides it.
  el.scrollIntoView({ block: "nearest" });
}

export function clearError() {
  const el = byId("banner-error");
  el.hidden = true;
  el.replaceChildren();
}

/** A short confirmation ("Saved."), announced politely, until the next action. */
export function showSuccess(message) {
  clearError();
  const el = byId("banner-success");
  fill(el, h("p", { class: "banner-message" }, message));
  el.hidden = false;
}

export function clearSuccess() {
  const el = byId("banner-success");
  el.hidden = true;
  el.replaceChildren();
}
