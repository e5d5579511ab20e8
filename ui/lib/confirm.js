// An accessible "are you sure?" built on <dialog>: modal, Escape cancels, focus starts on
// the safe choice and returns to whatever opened it.
import { h, fill } from "./dom.js";

let dialog = null;

function ensureDialog() {
  if (dialog) return dialog;
  dialog = h(
    "dialog",
    { id: "confirm", class: "confirm", "aria-labelledby": "confirm-title", "aria-describedby": "confirm-body" },
    h("h2", { id: "confirm-title", class: "confirm-title" }),
    h("div", { id: "confirm-body", class: "confirm-body" }),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", id: "confirm-no", class: "secondary" }),
      h("button", { type: "button", id: "confirm-yes", class: "primary" }),
    ),
  );
  document.body.append(dialog);
  return dialog;
}

/**
 * Asks one question; resolves true only when the creator picks `yes`.
 * `body` may be text, nodes or an array of both; `danger` colours the yes button red.
 */
export function confirm({ title, body, yes = "Yes", no = "Cancel", danger = false }) {
  const el = ensureDialog();
  const opener = document.activeElement;
  const yesButton = el.querySelector("#confirm-yes");
  const noButton = el.querySelector("#confirm-no");

  el.querySelector("#confirm-title").textContent = title;
  fill(el.querySelector("#confirm-body"), [body].flat().map((part) => (typeof part === "string" ? h("p", {}, part) : part)));
  yesButton.textContent = yes;
  noButton.textContent = no;
  yesButton.classList.toggle("danger", danger);

  return new Promise((resolve) => {
    const finish = (answer) => {
      yesButton.removeEventListener("click", onYes);
      noButton.removeEventListener("click", onNo);
      el.removeEventListener("close", onClose);
      if (el.open) el.close();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(answer);
    };
    const onYes = () => finish(true);
    const onNo = () => finish(false);
    // Escape closes a modal dialog by itself; treat it as "no".
    const onClose = () => finish(false);
    yesButton.addEventListener("click", onYes);
    noButton.addEventListener("click", onNo);
    el.addEventListener("close", onClose);
    el.showModal();
    noButton.focus();
  });
}
