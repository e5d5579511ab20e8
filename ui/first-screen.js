// The first screen, before any module: a classic script at the end of <body>, run as soon
// as the static welcome above it is parsed. It shows that welcome only when this profile has
// never chosen a mode (main.js remembers), so a returning creator never sees it flash; and
// it reports the first painted frame (the start-up benchmark and the package check wait for
// that line) the same way the bare app of bench/bare does: the frame callback runs just
// before the paint, the timeout just after it. main.js then replaces the static screen with
// the live one and sets data-ready (what the end-to-end tests wait for).
(function firstScreen() {
  let chosen = null;
  try {
    chosen = window.localStorage.getItem("atelier-desk.first-screen");
  } catch {
    // No storage: the welcome is the likelier screen (a fresh profile).
  }
  if (chosen !== "desk") document.documentElement.classList.add("first-screen-welcome");
  requestAnimationFrame(() => {
    setTimeout(() => {
      const invoke = window.__TAURI__?.core?.invoke;
      if (invoke) invoke("page_ready", { pageMs: performance.now() }).catch(() => {});
    }, 0);
  });
})();
