import { BUS_TOPICS, redactUrl } from '@fleetwire/protocol';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Bus } from '../../bus/bus.js';
import { createOptionChecks } from '../../option-checks.js';
import { CloudError } from '../../errors.js';
import { createInfluxWriter, type InfluxWriter } from './influx-writer.js';

export interface TsdbSinkOptions {
  bus: Bus;
  /**
   * TSDB base URL: InfluxDB, or VictoriaMetrics (which serves the same /api/v2/write). User info
   * (`user:password@`) is sent as HTTP basic auth; the URL is logged only redacted.
   */
  url: string;
  /** InfluxDB org and bucket; VictoriaMetrics ignores both. */
  org: string;
  bucket: string;
  /** InfluxDB API token (VictoriaMetrics: empty unless auth is set up). Never logged. */
  token: string;
  metrics: Registry;
  logger: Logger;
  /** Consumer group. Default `fleetwire-tsdb-sink`. */
  groupId?: string;
  /** Default: the vehicle and charger telemetry topics. */
  topics?: string[];
  /** A new group starts from the oldest record still on the bus (default true): history is backfilled. */
  fromBeginning?: boolean;
  /** Per write and per health check. Default 10 s. */
  timeoutMs?: number;
  /** The TSDB client. Default: the InfluxDB v2 write API at `url` (tests pass a fake). */
  writer?: InfluxWriter;
}

export type ResolvedTsdbSinkOptions = Required<TsdbSinkOptions>;

export function resolveTsdbSinkOptions(options: TsdbSinkOptions): ResolvedTsdbSinkOptions {
  const check = createOptionChecks('FW_SINK_CONFIG_INVALID', 'tsdb sink');
  const url = check.text('url', options.url);
  if (!URL.canParse(url)) throw new CloudError('FW_SINK_CONFIG_INVALID', `tsdb sink: option url is not a URL: ${redactUrl(url)}`);
  const resolved = {
    ...options,
    url,
    org: check.text('org', options.org, '-'),
    bucket: check.text('bucket', options.bucket, '-'),
    token: options.token ?? '',
    groupId: check.text('groupId', options.groupId, 'fleetwire-tsdb-sink'),
    topics: check.textList('topics', options.topics ?? [BUS_TOPICS.vehicleTelemetry, BUS_TOPICS.chargerTelemetry]),
    fromBeginning: options.fromBeginning ?? true,
    timeoutMs: check.integer('timeoutMs', options.timeoutMs, 10_000, 1),
  };
  return { ...resolved, writer: options.writer ?? createInfluxWriter(resolved) };
}
