/**
 * Options of the uplink: where it sends and its tuning, as schemas with their documented
 * defaults (docs/uplink.md), and what the agent hands it besides (buffer, credentials, metrics).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Type, type Static } from '@sinclair/typebox';
import { isNodeId } from '@fleetwire/protocol';
import type { RecordBuffer } from '../buffer/buffer.js';
import { EdgeError } from '../errors.js';
import { IntegerOption, OptionGroup, PathOption, resolveOptions } from '../settings.js';
import type { UplinkTls } from './tls.js';

/** Where the uplink sends (the agent's `cloud` config section); the files are read at start (`readUplinkTls`). */
export const CloudSettingsSchema = OptionGroup({
  /** Base URL of the cloud ingest; '' = no uplink, the agent only buffers. */
  url: Type.String({ default: '' }),
  /** This node's bearer token (FLEETWIRE_EDGE_NODE_TOKEN). */
  token: Type.String({ default: '' }),
  /** PEM bundle of the private CA that signs the cloud's certificate; '' = Node's public roots. */
  caFile: PathOption(),
  /** Client certificate and its key (CN = node id), instead of or beside the token. */
  certFile: PathOption(),
  keyFile: PathOption(),
});

/** The uplink's tuning (the agent's `uplink` config section), with its defaults (docs/uplink.md). */
export const UplinkSettingsSchema = OptionGroup({
  /** Records per batch. Default 500. */
  maxBatchRecords: IntegerOption(500, 1, 100_000),
  /** Record JSON per batch before gzip (one larger record travels alone). Default 512 KiB. */
  maxBatchBytes: IntegerOption(512 * 1024, 1),
  /** Per request, including reading the answer. Default 15 s. */
  requestTimeoutMs: IntegerOption(15_000, 1),
  /** Back-off: first step and cap of the exponential back-off with full jitter. Defaults 500 ms, 60 s. */
  baseBackoffMs: IntegerOption(500, 1),
  maxBackoffMs: IntegerOption(60_000, 1),
  /** Wait after 401/403 and other configuration refusals (jittered between half and full). Default 5 min. */
  authBackoffMs: IntegerOption(300_000, 1),
  /** Cap on an honoured retry-after. Default 10 min. */
  maxRetryAfterMs: IntegerOption(600_000, 0),
  /** Pause when the buffer is empty before looking again. Default 100 ms. */
  idleDelayMs: IntegerOption(100, 1),
  /** Batches in flight at once. Default 1. */
  concurrency: IntegerOption(1, 1, 64),
  /** gzip level of the batch body, 1–9. Default 6. */
  gzipLevel: IntegerOption(6, 1, 9),
  /** stop() lets an in-flight request finish for this long, then aborts it. Default 2 s. */
  stopGraceMs: IntegerOption(2000, 0),
});

export type UplinkSettings = Static<typeof UplinkSettingsSchema>;

export interface UplinkOptions extends Partial<UplinkSettings> {
  buffer: RecordBuffer;
  /** Base URL of the cloud ingest, e.g. https://ingest.example.com; batches go to {url}/v1/batches. */
  url: string;
  nodeId: string;
  /** Bearer token of this node; may be omitted or '' when `tls` holds a client certificate. Never logged. */
  token?: string;
  /** PEM material for https:// URLs (`readUplinkTls`): private CA, client certificate + key. Never logged. */
  tls?: UplinkTls;
  metrics: Registry;
  logger: Logger;
  /** For tests: the jitter source. Default Math.random. */
  random?: () => number;
}

export type ResolvedUplinkOptions = Required<UplinkOptions>;

export function resolveUplinkOptions(options: UplinkOptions): ResolvedUplinkOptions {
  const { buffer, url: givenUrl, nodeId, token: givenToken, tls: givenTls, metrics, logger, random, ...settings } = options;
  const fail = (why: string): never => {
    throw new EdgeError('FW_UPLINK_OPTIONS_INVALID', `uplink: ${why}`);
  };
  if (typeof givenUrl !== 'string' || givenUrl === '') fail('option url must be a non-empty string');
  const url = givenUrl.replace(/\/+$/, '');
  if (!/^https?:\/\//.test(url)) fail(`option url must be http(s), got ${url}`);
  if (!isNodeId(nodeId)) fail('option nodeId is not a valid node id');
  if (!buffer || !metrics || !logger) fail('options buffer, metrics and logger are required');
  const tls = givenTls ?? {};
  const hasClientCertificate = tls.cert !== undefined && tls.key !== undefined;
  if ((tls.cert === undefined) !== (tls.key === undefined)) fail('options tls.cert and tls.key go together');
  if ((tls.ca !== undefined || hasClientCertificate) && !url.startsWith('https://')) fail('option tls needs an https:// url');
  const token = givenToken ?? '';
  if (token === '' && !hasClientCertificate) fail('option token must be a non-empty string');
  return {
    buffer,
    url,
    nodeId,
    token,
    tls,
    metrics,
    logger,
    ...resolveOptions(UplinkSettingsSchema, settings, 'FW_UPLINK_OPTIONS_INVALID', 'uplink'),
    random: random ?? Math.random,
  };
}
