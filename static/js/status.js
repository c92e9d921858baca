// The status page asks the server again while the testimonial is still moving on its own.

const section = document.getElementById("status");
const INTERVAL = 5000;

async function refresh() {
  try {
    const response = await fetch(section.dataset.url, { credentials: "same-origin" });
    if (response.ok) {
      const data = await response.json();
      if (data.status !== section.dataset.status && section.dataset.status) {
        window.location.reload();
        return;
      }
      section.dataset.status = data.status;
      document.getElementById("status-label").textContent = data.label;
      if (!data.moving) return;
    }
  } catch (error) {
    // Offline for now: try again later.
  }
  setTimeout(refresh, INTERVAL);
}

if (section && section.dataset.moving === "1") setTimeout(refresh, INTERVAL);
