/**
 * Wake-on-LAN from the page (POST /machines/<mac>/wake, with the write
 * token), the outcome told in a toast. The fleet table and the machine page
 * both offer it.
 */
import { apiWrite, seg } from "./api-client.js";
import { notify } from "./notify.js";

export async function wakeMachine(m) {
  try {
    await apiWrite("POST", `/machines/${seg(m.mac)}/wake`, {});
    notify(`Wake-on-LAN packet sent to ${m.hostname ?? m.mac}`);
  } catch (err) {
    notify(`Wake ${m.hostname ?? m.mac}: ${err.message}`, "error");
  }
}
