/**
 * Delivering one batch: encode, send, and act on the answer (docs/uplink.md). The buffer is
 * only ever told to delete after a 2xx; every other path releases the records it did not
 * deliver, so nothing leaves the edge unacknowledged.
 */
import { encodeBatch, type FleetRecord } from '@fleetwire/protocol';
import { serializedBatch, type OutgoingBatch } from '../buffer/buffer.js';
import { createRepeatedLog, type RepeatedLog } from '../logging/repeated-log.js';
import { classifyAnswer, parseAcceptedAnswer, type FailureClass } from './answer.js';
import { parseRetryAfter } from './backoff.js';
import type { UplinkMetrics } from './metrics.js';
import type { ResolvedUplinkOptions } from './options.js';
import type { Sender } from './sender.js';

export type DeliveryOutcome = { ok: true } | { ok: false; failureClass: FailureClass; retryAfterMs?: number | undefined };

export class BatchDelivery {
  readonly #options: ResolvedUplinkOptions;
  readonly #metrics: UplinkMetrics;
  readonly #sender: Sender;
  // An outage fails every attempt: logged when it begins, then summarised, ended by a 2xx.
  readonly #sendFailures: RepeatedLog;
  readonly #authRefusals: RepeatedLog;

  constructor(options: ResolvedUplinkOptions, metrics: UplinkMetrics, sender: Sender) {
    this.#options = options;
    this.#metrics = metrics;
    this.#sender = sender;
    this.#sendFailures = createRepeatedLog(options.logger, { event: 'uplink_send_failed', level: 'warn' });
    this.#authRefusals = createRepeatedLog(options.logger, { event: 'uplink_auth_refused', level: 'error' });
  }

  /** Sends the batch; on failure its records (not yet delivered) are released to the buffer. */
  async deliver(batch: OutgoingBatch, signal: AbortSignal): Promise<DeliveryOutcome> {
    const { buffer, logger, nodeId } = this.#options;
    const records = batch.serialized ?? batch.records;
    const encoded = encodeBatch({ nodeId, createdAt: Date.now(), records, gzipLevel: this.#options.gzipLevel });
    const started = performance.now();
    const result = await this.#sender.send(encoded, { timeoutMs: this.#options.requestTimeoutMs, signal });
    const seconds = (performance.now() - started) / 1000;
    const log = { batchId: encoded.batchId, records: records.length };

    if (result.kind === 'network') {
      this.#metrics.duration.observe({ status_class: 'network' }, seconds);
      // A TLS failure is a network-class failure (the data is kept), reported with what to check.
      return this.#fail(batch, result.timedOut ? 'timeout' : 'network', undefined, { ...log, error: result.message, ...(result.tls ? { tls: true } : {}) });
    }
    this.#metrics.duration.observe({ status_class: `${Math.floor(result.status / 100)}xx` }, seconds);
    const action = classifyAnswer(result.status, result.body);
    if (action.type === 'accepted') {
      buffer.acknowledge(batch);
      this.#sendFailures.end();
      this.#authRefusals.end();
      this.#countAccepted(result.body, records.length, log);
      return { ok: true };
    }
    if (action.type === 'split') {
      this.#metrics.batches.inc({ outcome: 'split' });
      logger.warn({ event: 'uplink_batch_refused', ...log, status: result.status, answer: result.body.slice(0, 500) }, 'uplink_batch_refused');
      return this.#split(batch, action.reason, result.body, signal);
    }
    const retryAfterMs = parseRetryAfter(result.retryAfter, Date.now());
    return this.#fail(batch, action.failureClass, retryAfterMs, { ...log, status: result.status });
  }

  async #split(batch: OutgoingBatch, reason: 'batch_corrupt' | 'batch_too_large', answer: string, signal: AbortSignal): Promise<DeliveryOutcome> {
    const halves = splitInHalves(batch);
    if (halves === undefined) {
      await this.#quarantine(batch.records[0]!, reason, answer);
      this.#options.buffer.acknowledge(batch);
      return { ok: true };
    }
    for (const [i, half] of halves.entries()) {
      const outcome = await this.deliver(half, signal);
      if (!outcome.ok) {
        if (i === 0) this.#options.buffer.release(halves[1]);
        return outcome;
      }
    }
    return { ok: true };
  }

  async #quarantine(record: FleetRecord, reason: 'batch_corrupt' | 'batch_too_large', answer: string): Promise<void> {
    await this.#options.buffer.quarantine({
      receivedAt: record.receivedAt,
      reason,
      detail: `refused by the cloud on its own: ${answer.slice(0, 500)}`,
      source: record.source,
      bytes: Buffer.from(JSON.stringify(record)),
    });
    this.#metrics.records.inc({ outcome: 'quarantined' });
    this.#options.logger.error({ event: 'uplink_record_quarantined', id: record.id, reason }, 'uplink_record_quarantined');
  }

  #countAccepted(body: string, count: number, log: object): void {
    const answer = parseAcceptedAnswer(body, count);
    this.#metrics.batches.inc({ outcome: 'accepted' });
    this.#metrics.records.inc({ outcome: 'accepted' }, answer.accepted);
    this.#metrics.records.inc({ outcome: 'duplicate' }, answer.duplicates);
    this.#metrics.records.inc({ outcome: 'rejected' }, answer.rejected.length);
    for (const r of answer.rejected) this.#metrics.rejectedByReason.inc({ reason: r.reason });
    if (answer.rejected.length > 0) {
      this.#options.logger.warn(
        { event: 'uplink_records_rejected', ...log, rejected: answer.rejected.slice(0, 20) },
        'uplink_records_rejected',
      );
    }
    if (answer.unreadable) this.#options.logger.warn({ event: 'uplink_answer_unreadable', ...log }, 'uplink_answer_unreadable');
    this.#options.logger.debug({ event: 'uplink_batch_sent', ...log, accepted: answer.accepted, duplicates: answer.duplicates }, 'uplink_batch_sent');
  }

  #fail(batch: OutgoingBatch, failureClass: FailureClass, retryAfterMs: number | undefined, log: object): DeliveryOutcome {
    this.#options.buffer.release(batch);
    this.#metrics.batches.inc({ outcome: 'failed' });
    this.#metrics.errors.inc({ class: failureClass });
    const loud = failureClass === 'auth' || failureClass === 'config';
    if (loud) {
      const hint = 'configuration problem: check the node token or client certificate, node id and cloud url; the data is kept';
      this.#authRefusals.note(failureClass, { ...log, failureClass, hint });
    } else {
      this.#sendFailures.note(failureClass, { ...log, failureClass, retryAfterMs });
    }
    return { ok: false, failureClass, retryAfterMs };
  }
}

/** Two halves of a batch of two or more records; undefined for a single record. */
function splitInHalves(batch: OutgoingBatch): [OutgoingBatch, OutgoingBatch] | undefined {
  const { serialized } = batch;
  const count = serialized?.length ?? batch.records.length;
  if (count < 2) return undefined;
  const middle = Math.ceil(count / 2);
  const half = (from: number, to: number, index: number): OutgoingBatch => {
    const batchId = `${batch.batchId}.${index}`;
    if (serialized !== undefined) return serializedBatch(batchId, serialized.slice(from, to));
    const records = batch.records.slice(from, to);
    return { batchId, records, bytes: records.reduce((sum, r) => sum + Buffer.byteLength(JSON.stringify(r)), 0) };
  };
  return [half(0, middle, 0), half(middle, count, 1)];
}
