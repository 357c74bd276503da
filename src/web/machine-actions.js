/**
 * What can be done to one machine from its page: wake it (Wake-on-LAN), and
 * set the image it boots next or hand the choice back to the config. Both go
 * through the API with the write token.
 */
import { apiGet, apiWrite, listOf, seg } from "./api-client.js";
import { element } from "./element.js";
import { notify } from "./notify.js";
import { wakeMachine } from "./wake-machine.js";

export class MachineActions {
  #node = element("div", { class: "actions" });
  #id;
  #onImageSet;

  /**
   * `id` is how the page named the machine (used when it has no MAC);
   * `onImageSet()` reads the machine and its config again once an image was set.
   */
  constructor({ id, onImageSet }) {
    this.#id = id;
    this.#onImageSet = onImageSet;
  }

  get node() {
    return this.#node;
  }

  /** Draws the controls for machine `m`; resolves once the image list is in. */
  async show(m) {
    const imageSelect = element("select", { id: "set-image-select" });
    const setButton = element(
      "button",
      {
        type: "button",
        id: "set-image",
        onclick: () => {
          const image = imageSelect.value;
          if (image) this.#setImage(m, image, setButton);
        },
      },
      "Set image",
    );
    const clearButton = element(
      "button",
      {
        type: "button",
        id: "clear-image",
        title: "Remove the image set here, so the config decides again",
        onclick: () => this.#setImage(m, null, clearButton),
      },
      "Use the config's image",
    );
    const wakeButton = element(
      "button",
      {
        type: "button",
        id: "wake",
        class: "primary",
        disabled: !m.mac,
        onclick: () => wakeMachine(m),
      },
      "Wake (Wake-on-LAN)",
    );
    const setNote = element("span", { class: "muted", id: "set-image-note" });
    this.#node.replaceChildren(
      wakeButton,
      element("label", { for: "set-image-select", class: "muted" }, "Image"),
      imageSelect,
      setButton,
      clearButton,
      setNote,
    );
    // The controls wait for the image list, and are offered only when the
    // server can do it: the route is looked up in its OpenAPI document.
    const controls = [setButton, clearButton, imageSelect];
    for (const c of controls) c.disabled = true;
    const [offered, images] = await Promise.all([
      offersSetImage(),
      apiGet("/images")
        .then((body) => listOf(body, "images"))
        .catch((err) => err),
    ]);
    if (images instanceof Error) {
      imageSelect.replaceChildren(element("option", { value: "" }, `(images: ${images.message})`));
    } else {
      imageSelect.replaceChildren(...images.map((i) => element("option", { value: i.name }, i.name)));
      imageSelect.value = m.image ?? "";
    }
    if (offered) {
      for (const c of controls) c.disabled = false;
      setButton.disabled = images instanceof Error;
    } else {
      setButton.setAttribute("aria-describedby", "set-image-note");
      setNote.textContent =
        "This server has no route to set a host's image (PUT /api/v1/machines/{id}/image); set image: under the host in the config.";
    }
  }

  /** PUT the image (null clears it), then show the machine and its config as the server now has them. */
  async #setImage(m, image, button) {
    const who = m.hostname ?? m.mac;
    button.disabled = true;
    try {
      await apiWrite("PUT", `/machines/${seg(m.mac ?? this.#id)}/image`, { image });
      notify(
        image === null
          ? `${who} boots the image its config gives from its next boot`
          : `${who} boots ${image} from its next boot`,
      );
      await this.#onImageSet();
    } catch (err) {
      notify(`Set image of ${who}: ${err.message}`, "error");
    } finally {
      button.disabled = false;
    }
  }
}

let setImageOffered = null;

/** Whether the API lists PUT /machines/{id}/image (asked once per page load). */
function offersSetImage() {
  setImageOffered ??= apiGet("/openapi.json")
    .then((doc) =>
      Object.entries(doc?.paths ?? {}).some(
        ([path, ops]) =>
          /^\/machines\/\{[^}]+\}\/image$/.test(path) && ops && typeof ops === "object" && "put" in ops,
      ),
    )
    .catch(() => false);
  return setImageOffered;
}
