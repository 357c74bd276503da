/** The key lines are capped under: the machine's MAC, or its address when no MAC is known. */
export function logOwnerKey(mac: string | null, ip: string): string {
  return mac ?? `ip:${ip}`;
}
