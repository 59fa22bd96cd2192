/**
 * Options of the uplink, with their documented defaults (docs/uplink.md).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { isNodeId } from '@fleetwire/protocol';
import type { RecordBuffer } from '../buffer/buffer.js';
import { createOptionChecks } from '../buffer/option-checks.js';
import { EdgeError } from '../errors.js';
import type { UplinkTls } from './tls.js';

export interface UplinkOptions {
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
  /** Records per batch. Default 500. */
  maxBatchRecords?: number;
  /** Record JSON per batch before gzip (one larger record travels alone). Default 512 KiB. */
  maxBatchBytes?: number;
  /** Per request, including reading the answer. Default 15 s. */
  requestTimeoutMs?: number;
  /** Back-off: first step and cap of the exponential back-off with full jitter. Defaults 500 ms, 60 s. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Wait after 401/403 and other configuration refusals (jittered between half and full). Default 5 min. */
  authBackoffMs?: number;
  /** Cap on an honoured retry-after. Default 10 min. */
  maxRetryAfterMs?: number;
  /** Pause when the buffer is empty before looking again. Default 100 ms. */
  idleDelayMs?: number;
  /** Batches in flight at once. Default 1. */
  concurrency?: number;
  /** gzip level of the batch body, 1–9. Default 6. */
  gzipLevel?: number;
  /** stop() lets an in-flight request finish for this long, then aborts it. Default 2 s. */
  stopGraceMs?: number;
  /** For tests: the jitter source. Default Math.random. */
  random?: () => number;
}

export type ResolvedUplinkOptions = Required<UplinkOptions>;

export function resolveUplinkOptions(options: UplinkOptions): ResolvedUplinkOptions {
  const check = createOptionChecks('FW_UPLINK_OPTIONS_INVALID', 'uplink');
  const url = check.text('url', options.url).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(url)) throw new EdgeError('FW_UPLINK_OPTIONS_INVALID', `uplink: option url must be http(s), got ${url}`);
  if (!isNodeId(options.nodeId)) throw new EdgeError('FW_UPLINK_OPTIONS_INVALID', 'uplink: option nodeId is not a valid node id');
  if (!options.buffer || !options.metrics || !options.logger) {
    throw new EdgeError('FW_UPLINK_OPTIONS_INVALID', 'uplink: options buffer, metrics and logger are required');
  }
  const tls = options.tls ?? {};
  const hasClientCertificate = tls.cert !== undefined && tls.key !== undefined;
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new EdgeError('FW_UPLINK_OPTIONS_INVALID', 'uplink: options tls.cert and tls.key go together');
  if ((tls.ca !== undefined || hasClientCertificate) && !url.startsWith('https://')) {
    throw new EdgeError('FW_UPLINK_OPTIONS_INVALID', 'uplink: option tls needs an https:// url');
  }
  const token = hasClientCertificate && (options.token ?? '') === '' ? '' : check.text('token', options.token);
  return {
    buffer: options.buffer,
    url,
    nodeId: options.nodeId,
    token,
    tls,
    metrics: options.metrics,
    logger: options.logger,
    maxBatchRecords: check.number('maxBatchRecords', options.maxBatchRecords, 500, { min: 1, max: 100_000 }),
    maxBatchBytes: check.number('maxBatchBytes', options.maxBatchBytes, 512 * 1024, { min: 1 }),
    requestTimeoutMs: check.number('requestTimeoutMs', options.requestTimeoutMs, 15_000, { min: 1 }),
    baseBackoffMs: check.number('baseBackoffMs', options.baseBackoffMs, 500, { min: 1 }),
    maxBackoffMs: check.number('maxBackoffMs', options.maxBackoffMs, 60_000, { min: 1 }),
    authBackoffMs: check.number('authBackoffMs', options.authBackoffMs, 300_000, { min: 1 }),
    maxRetryAfterMs: check.number('maxRetryAfterMs', options.maxRetryAfterMs, 600_000, { min: 0 }),
    idleDelayMs: check.number('idleDelayMs', options.idleDelayMs, 100, { min: 1 }),
    concurrency: check.number('concurrency', options.concurrency, 1, { min: 1, max: 64 }),
    gzipLevel: check.number('gzipLevel', options.gzipLevel, 6, { min: 1, max: 9 }),
    stopGraceMs: check.number('stopGraceMs', options.stopGraceMs, 2000, { min: 0 }),
    random: options.random ?? Math.random,
  };
}
