/**
 * Idempotency keys: a batch re-sent with the key of a batch already answered gets the stored
 * answer and is not produced again; a key that is being processed right now answers 409 so the
 * two copies never race into the bus. Keys are scoped by node, so one node can never read
 * another's answer. Memory is bounded (see recent-memory.ts); consumers dedupe by record id
 * for everything this cannot catch (restarts, split batches, another ingest instance).
 */
import { CloudError } from '../errors.js';
import { createRecentMemory, type RecentMemoryOptions } from './recent-memory.js';

export interface IdempotencyMemory<A> {
  /** The stored answer for this key, or undefined after claiming it; throws FW_BATCH_IN_PROGRESS. */
  claim(nodeId: string, key: string): A | undefined;
  settle(nodeId: string, key: string, answer: A): void;
  /** Gives up a claim without an answer (the batch failed; a retry may process it). */
  release(nodeId: string, key: string): void;
}

export function createIdempotencyMemory<A>(options: RecentMemoryOptions): IdempotencyMemory<A> {
  const answers = createRecentMemory<A>(options);
  const inProgress = new Set<string>();
  const scoped = (nodeId: string, key: string): string => `${nodeId}\u0000${key}`;

  return {
    claim(nodeId, key) {
      const id = scoped(nodeId, key);
      const answer = answers.get(id);
      if (answer !== undefined) return answer;
      if (inProgress.has(id)) {
        throw new CloudError('FW_BATCH_IN_PROGRESS', `batch ${key} is being processed by another request`, {
          canRetry: true,
        });
      }
      inProgress.add(id);
      return undefined;
    },
    settle(nodeId, key, answer) {
      const id = scoped(nodeId, key);
      answers.set(id, answer);
      inProgress.delete(id);
    },
    release(nodeId, key) {
      inProgress.delete(scoped(nodeId, key));
    },
  };
}
