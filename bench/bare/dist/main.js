// Reports the first painted frame exactly as Atelier Desk's ui/main.js does: the frame
// callback runs just before the paint, the timeout just after it.
requestAnimationFrame(() => {
  document.documentElement.setAttribute("data-ready", "true");
  setTimeout(() => window.__TAURI__.core.invoke("page_ready", { pageMs: performance.now() }).catch(() => {}), 0);
});
