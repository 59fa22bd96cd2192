/**
 * The Node.js runtime metrics on the agent's /metrics: prom-client's defaults, less the ones
 * whose scrape walks every open handle. With 10,000 vehicles connected, `nodejs_active_handles`
 * and `nodejs_active_resources` build and group an array of every socket and
 * `process_open_fds` lists /proc/self/fd with 10,000 entries: 10–25 ms of the event loop per
 * scrape on the bench machine, up to 77 ms under load, all of it in one turn (docs/edge.md,
 * 10,000 vehicles). The connection count is `fleetwire_intake_connected_devices`.
 */
import { collectDefaultMetrics, type Registry } from 'prom-client';

/** Default metrics whose cost grows with the number of open connections. */
export const PER_HANDLE_METRICS = [
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_requests',
  'nodejs_active_requests_total',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
  'process_open_fds',
] as const;

export function registerRuntimeMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of PER_HANDLE_METRICS) registry.removeSingleMetric(name);
}
