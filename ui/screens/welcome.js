// The first screen. Every string from outside the page goes in with textContent.
export function renderWelcome(root, info) {
  const card = document.createElement("section");
  card.className = "card";

  const title = document.createElement("h2");
  title.textContent = "Welcome";

  const intro = document.createElement("p");
  intro.textContent =
    "Atelier Desk helps you sell your creative services on Atelier and tells you the moment an order is paid.";

  const server = document.createElement("p");
  server.className = "muted";
  server.id = "api-base-url";
  server.textContent = `Marketplace: ${info.api_base_url}`;

  card.append(title, intro, server);
  root.replaceChildren(card);
}

export function renderStartupError(root, error) {
  const p = document.createElement("p");
  p.className = "error";
  p.setAttribute("role", "alert");
  p.textContent = error?.message ?? String(error);
  root.replaceChildren(p);
}
