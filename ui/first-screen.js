// The first screen, before any module: a classic script at the end of <body>, run as soon
// as the static welcome above it is parsed. It shows that welcome only when this profile has
// never chosen a mode (main.js remembers), so a returning creator never sees it flash; and
// it reports the first painted frame (the start-up benchmark and the package check wait for
// that line) the same way the bare app of bench/bare does: the frame callback runs just
// before the paint, the timeout just after it. main.js then replaces the static screen with
// the live one and sets data-ready (what the end-to-end tests wait for).
(function firstScreen() {
  const ranAt = performance.now();
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
      if (invoke) invoke("page_ready", { pageMs: performance.now(), marks: marks(ranAt) }).catch(() => {});
    }, 0);
  });

  // Said with ATELIER_TRACE_STARTUP=1: whether a slow first frame waited for its files or
  // for style, layout and paint after them (the custom scheme gives no per-file timings).
  function marks(scriptRan) {
    const out = { "first-screen.js ran": scriptRan };
    try {
      const nav = performance.getEntriesByType("navigation")[0];
      if (nav) out["index.html received"] = nav.responseEnd;
    } catch {
      // Timing entries are a nicety; the ready line does not depend on them.
    }
    return out;
  }
})();
