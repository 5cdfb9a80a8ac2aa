// The console's one script: "Copy" buttons copy the text of the element their
// data-copy attribute names (a secret shown once), and say so.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  const status = document.getElementById(button.dataset.copy + "-status");
  try {
    await navigator.clipboard.writeText(source.textContent.trim());
    if (status) status.textContent = "Copied.";
  } catch (e) {
    if (status) status.textContent = "Copy did not work here: select the text and copy it.";
  }
});
