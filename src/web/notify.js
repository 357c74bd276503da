/** One line at the bottom right saying what an action did; errors stay until the next message. */
let timer = 0;

export function notify(message, kind = "info") {
  const box = document.getElementById("toast");
  if (!box) return;
  clearTimeout(timer);
  box.dataset.kind = kind;
  box.textContent = message;
  if (kind !== "error") timer = setTimeout(() => (box.textContent = ""), 6000);
}
