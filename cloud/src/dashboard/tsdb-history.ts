/**
 * Vehicle history read back from the time-series DB the sink writes (VictoriaMetrics): the raw
 * points of the charted quantities through its export API, merged by timestamp into history
 * points. The sink names series `vehicle_<field>` with the tag `vehicle_id` (protocol
 * line-protocol.ts), and stamps them with the reading's device time.
 *
 * Credentials in the URL are sent as basic auth, a token as `Authorization: Token`, as the sink
 * does. A DB that does not answer, or answers an error, is FW_TSDB_QUERY_FAILED (503, retryable).
 */
import { CloudError } from '../errors.js';
import { splitCredentials } from '../sinks/tsdb/index.js';
import type { HistoryPoint, HistoryQuantity } from './history-point.js';

export interface TsdbHistoryOptions {
  url: string;
  token: string;
  timeoutMs: number;
}

export type HistoryQuery = (vehicleId: string, from: number, to: number, maxPoints: number) => Promise<HistoryPoint[]>;

const SERIES: Record<string, HistoryQuantity> = {
  vehicle_soc_pct: 'socPct',
  vehicle_speed_kph: 'speedKph',
  vehicle_battery_temp_c: 'batteryTempC',
  vehicle_tyre_fl_kpa: 'tyreFlKpa',
  vehicle_tyre_fr_kpa: 'tyreFrKpa',
  vehicle_tyre_rl_kpa: 'tyreRlKpa',
  vehicle_tyre_rr_kpa: 'tyreRrKpa',
};

interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

/** `vehicleId` must be an entity id (the route checks it): it goes into the selector as it is. */
export function createTsdbHistory(options: TsdbHistoryOptions): HistoryQuery {
  const { url, basicAuth } = splitCredentials(options.url);
  const headers: Record<string, string> = {};
  if (basicAuth !== undefined) headers.authorization = `Basic ${Buffer.from(basicAuth).toString('base64')}`;
  if (options.token !== '') headers.authorization = `Token ${options.token}`;
  const names = Object.keys(SERIES).join('|');

  return async (vehicleId, from, to, maxPoints) => {
    const exportUrl = new URL('/api/v1/export', url);
    exportUrl.searchParams.set('match[]', `{__name__=~"${names}",vehicle_id="${vehicleId}"}`);
    exportUrl.searchParams.set('start', String(from / 1000));
    exportUrl.searchParams.set('end', String(to / 1000));
    let text: string;
    try {
      const response = await fetch(exportUrl, { headers, signal: AbortSignal.timeout(options.timeoutMs) });
      text = await response.text();
      if (!response.ok) throw new CloudError('FW_TSDB_QUERY_FAILED', `tsdb export answered HTTP ${response.status}: ${text.slice(0, 200)}`, { canRetry: true });
    } catch (cause) {
      if (cause instanceof CloudError) throw cause;
      throw new CloudError('FW_TSDB_QUERY_FAILED', `tsdb export failed: ${(cause as Error).message}`, { cause, canRetry: true });
    }
    return mergeSeries(parseExport(text), maxPoints);
  };
}

function parseExport(text: string): ExportedSeries[] {
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as ExportedSeries);
}

/** One point per timestamp, oldest first; the newest `maxPoints` when there are more. */
export function mergeSeries(series: readonly ExportedSeries[], maxPoints: number): HistoryPoint[] {
  const byTime = new Map<number, HistoryPoint>();
  for (const { metric, values, timestamps } of series) {
    const quantity = SERIES[metric.__name__ ?? ''];
    if (quantity === undefined) continue;
    timestamps.forEach((at, i) => {
      const value = values[i];
      if (value === undefined) return;
      let point = byTime.get(at);
      if (point === undefined) {
        point = { at };
        byTime.set(at, point);
      }
      point[quantity] = value;
    });
  }
  const points = [...byTime.values()].sort((a, b) => a.at - b.at);
  return points.slice(Math.max(0, points.length - maxPoints));
}
