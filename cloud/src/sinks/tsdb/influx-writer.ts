/**
 * Writes line protocol through the InfluxDB v2 write API (@influxdata/influxdb-client), which
 * InfluxDB 2.x/3.x, InfluxDB 1.8+ and VictoriaMetrics all serve. The client's own buffering and
 * retries are switched off: one consumed batch is one write, and a failed write is retried by
 * the bus re-delivering the batch, so nothing is acknowledged that the TSDB did not take.
 *
 * Credentials in the URL (`http://user:password@host:8428`, e.g. for vmauth or a reverse proxy)
 * are sent as HTTP basic auth, on writes (unless a token is set, whose header wins) and on the
 * health check; they are never part of a logged URL (`redactUrl`).
 */
import { HttpError, InfluxDB } from '@influxdata/influxdb-client';
import { LINE_PROTOCOL_PRECISION } from '@fleetwire/protocol';
import { CloudError } from '../../errors.js';

export interface InfluxWriter {
  /**
   * Resolves once the TSDB took every line. Throws CloudError FW_TSDB_WRITE_FAILED: `canRetry`
   * unless the TSDB refused the data itself (HTTP 400/422), whose message it then carries.
   */
  write(body: string): Promise<void>;
  /** GET /health: 200 on VictoriaMetrics ("OK") and InfluxDB 2.x/3.x ({"status":"pass"}). */
  ping(): Promise<boolean>;
}

/** 400 and 422 mean the data itself was refused: re-sending the same lines cannot succeed. */
const REFUSED_DATA = new Set([400, 422]);
/** The TSDB refused the data itself (not retryable); anything else thrown by a write is worth retrying or a bug. */
export function isRefusedData(error: unknown): boolean {
  return error instanceof CloudError && error.code === 'FW_TSDB_WRITE_FAILED' && !error.canRetry;
}

/** How much of the TSDB's answer is kept in the error (and so in a dead letter's detail). */
const ANSWER_MAX = 300;

export function createInfluxWriter(options: {
  url: string; org: string; bucket: string; token: string; timeoutMs: number;
}): InfluxWriter {
  const { url, basicAuth } = splitCredentials(options.url);
  const client = new InfluxDB({
    url, token: options.token, timeout: options.timeoutMs,
    ...(basicAuth === undefined ? {} : { transportOptions: { auth: basicAuth } }),
  });
  const healthUrl = new URL('/health', url);
  const healthHeaders: Record<string, string> = basicAuth === undefined
    ? {} : { authorization: `Basic ${Buffer.from(basicAuth).toString('base64')}` };
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
        const refused = status !== undefined && REFUSED_DATA.has(status);
        const answer = refused && cause instanceof Error ? `: ${cause.message.slice(0, ANSWER_MAX)}` : '';
        throw new CloudError('FW_TSDB_WRITE_FAILED', `tsdb write failed${status === undefined ? '' : ` (HTTP ${status})`}${answer}`, {
          cause, canRetry: !refused,
        });
      }
    },
    async ping() {
      try {
        const response = await fetch(healthUrl, { headers: healthHeaders, signal: AbortSignal.timeout(options.timeoutMs) });
        await response.body?.cancel();
        return response.ok;
      } catch {
        return false;
      }
    },
  };
}

/** The URL without its user info (fetch refuses URLs with credentials), and that user info as `user:password`. */
export function splitCredentials(text: string): { url: string; basicAuth?: string } {
  const url = new URL(text);
  if (url.username === '' && url.password === '') return { url: text };
  const basicAuth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  url.username = '';
  url.password = '';
  return { url: url.href, basicAuth };
}
