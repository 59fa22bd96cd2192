/**
 * Which devices an edge node may send for. A node's entry lists device ids or prefixes ending
 * in `*` (`VH-*`, `CH-0003`, `*` for every device). Decisions only; the node list comes from the
 * auth file.
 */
export type DeviceAcl = (deviceId: string) => boolean;

export function compileDeviceAcl(patterns: readonly string[]): DeviceAcl {
  const exact = new Set(patterns.filter((p) => !p.endsWith('*')));
  const prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  return (deviceId) => exact.has(deviceId) || prefixes.some((prefix) => deviceId.startsWith(prefix));
}
