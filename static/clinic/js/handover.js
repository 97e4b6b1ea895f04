// The handover's print button (the page is also printable from the browser's own menu).
document.querySelector("[data-print]")?.addEventListener("click", () => window.print());
