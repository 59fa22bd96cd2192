/**
 * How both buses hand a partition's batch to a group's handler, and what they do with records it
 * keeps failing on. Decisions only; the bus supplies the I/O (`DeliveryContext`).
 *
 * - The handler resolves: the batch may be committed.
 * - It rejects with a retryable error (a CloudError with `canRetry`: the sink or a store is
 *   down): the batch is delivered again after an exponential backoff, for as long as it takes —
 *   an outage stalls the partition, it never throws records away.
 * - It rejects otherwise `maxAttempts` times: the batch is split and each record handled on its
 *   own, with the same attempts and backoff; a record that still fails is dead-lettered (reason,
 *   group, original key, value and headers: `dead-letters.ts`) and the partition moves on.
 * Ownership is checked before every attempt: a member that lost the partition stops and commits
 * nothing, so whoever owns it next reads the batch again.
 */
import { isRetryable } from '@fleetwire/protocol';
import type { Logger } from 'pino';
import type { BusMetrics } from './bus-metrics.js';
import type { BusMessage, DeliveredMessage, HandledBatch, HandlerProgress, SubscribeOptions } from './bus.js';
import { handlerDeadLetter } from './dead-letters.js';

export interface DeliveryPolicy {
  maxHandlerAttempts: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

export interface DeliveryContext {
  groupId: string;
  handle: SubscribeOptions['handle'];
  progress: HandlerProgress;
  /** False once the member must stop (closed, or the partition was revoked). */
  owned(): boolean;
  /** Waits this long (keeping the member alive where the bus has sessions); returns early when no longer owned. */
  pause(ms: number): Promise<void>;
  /** Produces the dead letters durably; rejects when it could not (tried again after a pause). */
  deadLetter(letters: BusMessage[]): Promise<void>;
  failed(error: unknown, failures: number, delay: number, records: number): void;
  deadLettered(message: DeliveredMessage, error: unknown): void;
}

/** How both buses report a partition's handler failures and poison records: counted and logged alike. */
export function deliveryReports(
  metrics: BusMetrics, logger: Logger | undefined, where: { groupId: string; topic: string; partition: number },
): Pick<DeliveryContext, 'failed' | 'deadLettered'> {
  const { groupId, topic, partition } = where;
  return {
    failed(error, failures, delay, records) {
      metrics.handlerFailed(groupId, topic);
      logger?.warn({ err: error, groupId, topic, partition, failures, delay, records }, 'bus_handler_failed');
    },
    deadLettered(message, error) {
      metrics.deadLettered(groupId, topic);
      logger?.error({ err: error, groupId, topic, partition, offset: message.offset, id: message.headers['fw-id'] }, 'bus_record_dead_lettered');
    },
  };
}

export const backoff = (policy: DeliveryPolicy, failures: number): number =>
  Math.min(policy.retryMaxMs, policy.retryInitialMs * 2 ** Math.max(0, failures - 1));

/**
 * What became of a batch: `lost` when ownership was lost (nothing may be committed); otherwise
 * every record was handled or dead-lettered, `commit` says whether its offsets may be
 * committed now (false when the handler holds them until its next checkpoint) and `resumeAt`
 * where the handler asked to read on from (`HandledBatch`).
 */
export type Delivered = { kind: 'lost' } | { kind: 'done'; commit: boolean; resumeAt?: string };

/** Where the member reads a partition next after a batch ending at `last` was done: past it, or where the handler skipped to. */
export function nextPosition(last: bigint, done: { resumeAt?: string }): bigint {
  const after = last + 1n;
  const skipTo = done.resumeAt === undefined ? after : BigInt(done.resumeAt);
  return skipTo > after ? skipTo : after;
}

export async function deliverBatch(batch: DeliveredMessage[], policy: DeliveryPolicy, context: DeliveryContext): Promise<Delivered> {
  const outcome = await attempt(batch, policy, context);
  if (outcome.kind === 'lost') return outcome;
  if (outcome.kind === 'handled') return { kind: 'done', ...outcome.handled };
  if (batch.length === 1) return (await deadLetter(batch[0] as DeliveredMessage, outcome.error, policy, context)) ? { kind: 'done', commit: true } : { kind: 'lost' };
  let handled: HandledBatch = { commit: true };
  for (const message of batch) {
    const single = await attempt([message], policy, context);
    if (single.kind === 'lost') return single;
    if (single.kind === 'handled') handled = single.handled;
    else if (!(await deadLetter(message, single.error, policy, context))) return { kind: 'lost' };
  }
  return { kind: 'done', ...handled };
}

type Outcome = { kind: 'handled'; handled: HandledBatch } | { kind: 'lost' } | { kind: 'poison'; error: unknown };

async function attempt(records: DeliveredMessage[], policy: DeliveryPolicy, context: DeliveryContext): Promise<Outcome> {
  for (let failures = 0, poisoned = 0; ;) {
    if (!context.owned()) return { kind: 'lost' };
    try {
      const handled = await context.handle(records, context.progress);
      return { kind: 'handled', handled: handled ?? { commit: true } };
    } catch (error) {
      failures += 1;
      if (!isRetryable(error)) poisoned += 1;
      if (poisoned >= policy.maxHandlerAttempts) return { kind: 'poison', error };
      const delay = backoff(policy, failures);
      context.failed(error, failures, delay, records.length);
      await context.pause(delay);
    }
  }
}

async function deadLetter(message: DeliveredMessage, error: unknown, policy: DeliveryPolicy, context: DeliveryContext): Promise<boolean> {
  const letter = handlerDeadLetter(message, context.groupId, error);
  for (let failures = 1; ; failures++) {
    if (!context.owned()) return false;
    try {
      await context.deadLetter([letter]);
      context.deadLettered(message, error);
      return true;
    } catch (cause) {
      const delay = backoff(policy, failures);
      context.failed(cause, failures, delay, 1);
      await context.pause(delay);
    }
  }
}
