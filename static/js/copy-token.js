// Copy a one-time secret to the clipboard: buttons with data-copy-target="<input id>".
// Falls back to select + execCommand where the Clipboard API is unavailable (plain http).
const announce = (button, text) => {
  const status = button.parentElement.querySelector(".copy-status");
  if (status) status.textContent = text;
};

async function copy(button) {
  const input = document.getElementById(button.dataset.copyTarget);
  if (!input) return;
  try {
    await navigator.clipboard.writeText(input.value);
    announce(button, "Copied.");
  } catch {
    input.focus();
    input.select();
    const ok = document.execCommand && document.execCommand("copy");
    announce(button, ok ? "Copied." : "Select the token and copy it with Ctrl+C.");
  }
}

for (const button of document.querySelectorAll("[data-copy-target]")) {
  button.addEventListener("click", () => copy(button));
}
