/**
 * The API token: asked once, kept in sessionStorage (this tab only, gone
 * when it closes), sent as `Authorization: Bearer` with every request. Writes
 * need it; reads show secret values only with it, and need it at all on a
 * server with `services.api.read: token`.
 */
const KEY = "bootfleet.apiToken";

export function getToken() {
  try {
    return sessionStorage.getItem(KEY) ?? "";
  } catch {
    return "";
  }
}

export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch {
    /* storage disabled: the token lives for this request only */
  }
  document.dispatchEvent(new CustomEvent("bootfleet:token"));
}

/**
 * Opens the token dialog and resolves with the token entered, or "" when the
 * user cancels. `reason` says why it is asked (first write, token refused).
 */
export function askToken(reason) {
  const dialog = document.getElementById("token-dialog");
  const input = document.getElementById("token-input");
  const why = document.getElementById("token-reason");
  if (reason) why.textContent = reason;
  input.value = "";
  return new Promise((resolve) => {
    const onClose = () => {
      dialog.removeEventListener("close", onClose);
      const choice = dialog.returnValue;
      if (choice === "save" && input.value.trim()) {
        setToken(input.value.trim());
        resolve(input.value.trim());
      } else {
        if (choice === "forget") setToken("");
        resolve("");
      }
    };
    dialog.addEventListener("close", onClose);
    dialog.returnValue = "";
    dialog.showModal();
    input.focus();
  });
}
