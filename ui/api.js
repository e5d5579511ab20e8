// The one place that talks to the Rust side. Every command the page uses is a function
// here, so the rest of the UI never spells a command name or touches `invoke` itself.
const invoke = window.__TAURI__?.core?.invoke;

async function call(command, args) {
  if (!invoke) {
    throw { code: "no_backend", message: "Atelier Desk's engine isn't running. Restart the app." };
  }
  return invoke(command, args);
}

export const api = {
  appInfo: () => call("app_info"),
};
