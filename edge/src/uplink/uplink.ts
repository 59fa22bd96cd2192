/**
 * The uplink: drains the buffer to the cloud, one batch per worker at a time, deleting only
 * what a 2xx covered (docs/uplink.md). After a failure every worker pauses for the back-off;
 * after a restart it simply continues with what the buffer still holds.
 */
import { redactUrl } from '@fleetwire/protocol';
import type { OutgoingBatch } from '../buffer/buffer.js';
import { nextWait, type BackoffPolicy } from './backoff.js';
import { BatchDelivery, type DeliveryOutcome } from './delivery.js';
import { createUplinkMetrics, type UplinkMetrics } from './metrics.js';
import { resolveUplinkOptions, type ResolvedUplinkOptions, type UplinkOptions } from './options.js';
import { createSender, type Sender } from './sender.js';
import { summarizeUplinkTls } from './tls.js';

export type { UplinkOptions } from './options.js';
export { readUplinkTls, type UplinkTls, type UplinkTlsFiles } from './tls.js';

export interface Uplink {
  start(): void;
  /** Lets an in-flight batch finish for `stopGraceMs`, then aborts it; unsent records stay in the buffer. */
  stop(): Promise<void>;
}

export function createUplink(options: UplinkOptions): Uplink {
  const resolved = resolveUplinkOptions(options);
  return new HttpUplink(resolved, createUplinkMetrics(resolved.metrics, resolved.buffer));
}

class HttpUplink implements Uplink {
  readonly #options: ResolvedUplinkOptions;
  readonly #metrics: UplinkMetrics;
  readonly #sender: Sender;
  readonly #delivery: BatchDelivery;
  readonly #policy: BackoffPolicy;
  #running = false;
  #workers: Promise<void>[] = [];
  #abort = new AbortController();
  #failures = 0;
  #pausedUntil = 0;
  readonly #sleepers = new Set<() => void>();

  constructor(options: ResolvedUplinkOptions, metrics: UplinkMetrics) {
    this.#options = options;
    this.#metrics = metrics;
    this.#sender = createSender({ url: options.url, token: options.token, tls: options.tls, maxSockets: options.concurrency });
    this.#delivery = new BatchDelivery(options, metrics, this.#sender);
    this.#policy = {
      baseMs: options.baseBackoffMs,
      maxMs: options.maxBackoffMs,
      authMs: options.authBackoffMs,
      maxRetryAfterMs: options.maxRetryAfterMs,
    };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    const { url, nodeId, token, tls } = this.#options;
    const auth = token === '' ? 'client_certificate' : 'token';
    this.#options.logger.info({ event: 'uplink_started', url: redactUrl(url), nodeId, auth, tls: summarizeUplinkTls(tls) }, 'uplink_started');
    this.#workers = Array.from({ length: this.#options.concurrency }, () => this.#work());
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const wake of this.#sleepers) wake();
    const grace = setTimeout(() => this.#abort.abort(), this.#options.stopGraceMs);
    await Promise.all(this.#workers);
    clearTimeout(grace);
    this.#sender.close();
    this.#metrics.backoff.set(0);
    this.#options.logger.info({ event: 'uplink_stopped' }, 'uplink_stopped');
  }

  async #work(): Promise<void> {
    const limits = { maxRecords: this.#options.maxBatchRecords, maxBytes: this.#options.maxBatchBytes };
    while (this.#running) {
      const pause = this.#pausedUntil - Date.now();
      if (pause > 0) {
        await this.#sleep(pause);
        continue;
      }
      let batch: OutgoingBatch | undefined;
      try {
        batch = this.#options.buffer.takeBatch(limits);
      } catch (error) {
        this.#options.logger.error({ event: 'uplink_take_failed', err: error }, 'uplink_take_failed');
        await this.#sleep(this.#options.idleDelayMs);
        continue;
      }
      if (batch === undefined) {
        await this.#sleep(this.#options.idleDelayMs);
        continue;
      }
      this.#settle(await this.#attempt(batch));
    }
  }

  async #attempt(batch: OutgoingBatch): Promise<DeliveryOutcome> {
    try {
      return await this.#delivery.deliver(batch, this.#abort.signal);
    } catch (error) {
      // Something outside the HTTP exchange failed (encoding, the buffer): keep the records.
      this.#options.logger.error({ event: 'uplink_batch_failed', batchId: batch.batchId, err: error }, 'uplink_batch_failed');
      try {
        this.#options.buffer.release(batch);
      } catch {
        // The buffer is closing; its next open clears every in-flight mark anyway.
      }
      return { ok: false, failureClass: 'server' };
    }
  }

  #settle(outcome: DeliveryOutcome): void {
    if (outcome.ok) {
      this.#failures = 0;
      this.#metrics.backoff.set(0);
      return;
    }
    this.#failures += 1;
    const wait = nextWait({ ...outcome, failures: this.#failures }, this.#policy, this.#options.random);
    this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + wait);
    this.#metrics.backoff.set(wait / 1000);
  }

  #sleep(ms: number): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#sleepers.add(wake);
    });
  }
}
