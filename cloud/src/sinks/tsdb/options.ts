import { Type, type Static } from '@sinclair/typebox';
import { BUS_TOPICS, problemList, redactUrl } from '@fleetwire/protocol';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Bus } from '../../bus/bus.js';
import { subscriptionOptions } from '../../bus-consumer.js';
import { checkedOptions } from '../../checked-options.js';
import { CloudError } from '../../errors.js';
import { createInfluxWriter, type InfluxWriter } from './influx-writer.js';

export const TsdbSinkSettingsSchema = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      description: 'TSDB base URL: InfluxDB, or VictoriaMetrics (which serves the same /api/v2/write). User info (user:password@) is sent as HTTP basic auth; the URL is logged only redacted.',
    }),
    org: Type.String({ minLength: 1, default: '-', description: 'InfluxDB org; VictoriaMetrics ignores it' }),
    bucket: Type.String({ minLength: 1, default: '-', description: 'InfluxDB bucket; VictoriaMetrics ignores it' }),
    token: Type.String({ default: '', description: 'InfluxDB API token (VictoriaMetrics: empty unless auth is set up). Never logged.' }),
    ...subscriptionOptions('fleetwire-tsdb-sink', [BUS_TOPICS.vehicleTelemetry, BUS_TOPICS.chargerTelemetry]),
    fromBeginning: Type.Boolean({ default: true, description: 'a new group starts from the oldest record still on the bus: history is backfilled' }),
    timeoutMs: Type.Integer({ minimum: 1, default: 10_000, description: 'per write and per health check' }),
  },
  { additionalProperties: false },
);

type TsdbSinkSettings = Static<typeof TsdbSinkSettingsSchema>;

export type TsdbSinkOptions = Pick<TsdbSinkSettings, 'url' | 'org' | 'bucket' | 'token'> &
  Partial<Omit<TsdbSinkSettings, 'url' | 'org' | 'bucket' | 'token'>> & {
    bus: Bus;
    metrics: Registry;
    logger: Logger;
    /** The TSDB client. Default: the InfluxDB v2 write API at `url` (tests pass a fake). */
    writer?: InfluxWriter;
  };

export type ResolvedTsdbSinkOptions = Required<TsdbSinkOptions>;

export function resolveTsdbSinkOptions(options: TsdbSinkOptions): ResolvedTsdbSinkOptions {
  const { bus, metrics, logger, writer, ...given } = options;
  const settings = checkedOptions(TsdbSinkSettingsSchema, given, 'FW_SINK_CONFIG_INVALID', 'tsdb sink options');
  if (!URL.canParse(settings.url)) {
    throw new CloudError('FW_SINK_CONFIG_INVALID', problemList('tsdb sink options', [`/url: not a URL: ${redactUrl(settings.url)}`]));
  }
  return { ...settings, bus, metrics, logger, writer: writer ?? createInfluxWriter(settings) };
}
