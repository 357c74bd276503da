/**
 * What is secret when the config does not say (`secret: true | false`
 * decides otherwise):
 *   - a setting whose name says it holds a credential: PASSWORD, PASSWD,
 *     SECRET or TOKEN anywhere in it, or KEY or PSK as a word of it
 *     (LDM_PASSWORD, API_TOKEN, SSH_KEY, WPA_PSK; not KEYBOARD or XKBLAYOUT).
 *     Imported lts.conf files carry LDM_PASSWORD with no marking at all, and
 *     hiding a value costs an administrator one token, while showing a
 *     password to the lab segment cannot be undone;
 *   - a file only its owner may use (no group or other bits: 0600, 0400,
 *     0700): the mode already says that on the client only root reads it,
 *     so the network should not either. A group-readable file (0640, 0750)
 *     is shared on the client by design and stays plain unless marked.
 */

const CREDENTIAL = /PASSWORD|PASSWD|SECRET|TOKEN/i;
/** KEY and PSK only as whole words between _ . - or the ends, so KEYBOARD and KEYMAP stay plain. */
const CREDENTIAL_WORD = /(?:^|[_.-])(?:KEY|PSK)(?:[_.-]|$)/i;

export function secretByName(name: string): boolean {
  return CREDENTIAL.test(name) || CREDENTIAL_WORD.test(name);
}

/** Unix mode bits of a file; secret when neither group nor others may do anything with it. */
export function secretByMode(mode: number): boolean {
  return (mode & 0o077) === 0;
}
