/**
 * Writes line protocol through the InfluxDB v2 write API (@influxdata/influxdb-client), which
 * InfluxDB 2.x/3.x, InfluxDB 1.8+ and VictoriaMetrics all serve. The client's own buffering and
 * retries are switched off: one consumed batch is one write, and a failed write is retried by
 * the bus re-delivering the batch, so nothing is acknowledged that the TSDB did not take.
 */
import { HttpError, InfluxDB } from '@influxdata/influxdb-client';
import { LINE_PROTOCOL_PRECISION } from '@fleetwire/protocol';
import { CloudError } from '../../errors.js';

export interface InfluxWriter {
  write(body: string): Promise<void>;
  /** GET /health: 200 on VictoriaMetrics ("OK") and InfluxDB 2.x/3.x ({"status":"pass"}). */
  ping(): Promise<boolean>;
}

/** 400 and 422 mean the data itself was refused: re-sending the same lines cannot succeed. */
const REFUSED_DATA = new Set([400, 422]);

export function createInfluxWriter(options: {
  url: string; org: string; bucket: string; token: string; timeoutMs: number;
}): InfluxWriter {
  const client = new InfluxDB({ url: options.url, token: options.token, timeout: options.timeoutMs });
  const healthUrl = new URL('/health', options.url);
  return {
    async write(body) {
      const api = client.getWriteApi(options.org, options.bucket, LINE_PROTOCOL_PRECISION, {
        flushInterval: 0, maxRetries: 0, gzipThreshold: 64 * 1024,
        // Returning the rejection makes it the flush's result instead of a console log line.
        writeFailed: (error) => Promise.reject(error),
      });
      api.writeRecord(body);
      try {
        await api.close();
      } catch (cause) {
        const status = cause instanceof HttpError ? cause.statusCode : undefined;
        throw new CloudError('FW_TSDB_WRITE_FAILED', `tsdb write failed${status === undefined ? '' : ` (HTTP ${status})`}`, {
          cause, canRetry: status === undefined || !REFUSED_DATA.has(status),
        });
      }
    },
    async ping() {
      try {
        const response = await fetch(healthUrl, { signal: AbortSignal.timeout(options.timeoutMs) });
        await response.body?.cancel();
        return response.ok;
      } catch {
        return false;
      }
    },
  };
}
