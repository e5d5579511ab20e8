import { api } from "./api.js";
import { renderStartupError, renderWelcome } from "./screens/welcome.js";

async function start() {
  const screen = document.getElementById("screen");
  try {
    const info = await api.appInfo();
    document.getElementById("app-name").textContent = info.name;
    document.getElementById("app-version").textContent = `v${info.version}`;
    renderWelcome(screen, info);
  } catch (error) {
    renderStartupError(screen, error);
  }
  // Lets tests and the start-up benchmark see that the first screen is painted.
  requestAnimationFrame(() => document.documentElement.setAttribute("data-ready", "true"));
}

start();
