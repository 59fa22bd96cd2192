import { BUS_TOPICS } from '@fleetwire/protocol';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Bus } from '../../bus/bus.js';
import { createOptionChecks } from '../../bus/option-checks.js';
import { CloudError } from '../../errors.js';

export interface TsdbSinkOptions {
  bus: Bus;
  /** TSDB base URL: InfluxDB, or VictoriaMetrics (which serves the same /api/v2/write). */
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
}

export type ResolvedTsdbSinkOptions = Required<TsdbSinkOptions>;

export function resolveTsdbSinkOptions(options: TsdbSinkOptions): ResolvedTsdbSinkOptions {
  const check = createOptionChecks('FW_SINK_CONFIG_INVALID', 'tsdb sink');
  const url = check.text('url', options.url);
  if (!URL.canParse(url)) throw new CloudError('FW_SINK_CONFIG_INVALID', `tsdb sink: option url is not a URL: ${url}`);
  return {
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
}
