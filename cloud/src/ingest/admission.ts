/**
 * Backpressure for produce: at most `maxInFlight` batches are being written to the bus at once,
 * at most `maxQueued` more wait for a slot, and anything beyond is refused at once with
 * FW_INGEST_OVERLOADED (HTTP 429 + retry-after) — the edge keeps the data and retries, so the
 * cloud never buffers without bound.
 */
import { CloudError } from '../errors.js';

export interface AdmissionOptions {
  maxInFlight: number;
  maxQueued: number;
}

export interface Admission {
  /** Runs `work` when a slot is free; rejects with FW_INGEST_OVERLOADED when the queue is full. */
  run<T>(work: () => Promise<T>): Promise<T>;
  readonly inFlight: number;
  readonly queued: number;
}

export function createAdmission(options: AdmissionOptions): Admission {
  let inFlight = 0;
  const waiting: Array<() => void> = [];

  const acquire = async (): Promise<void> => {
    if (inFlight < options.maxInFlight) {
      inFlight += 1;
      return;
    }
    if (waiting.length >= options.maxQueued) {
      throw new CloudError('FW_INGEST_OVERLOADED', `ingest is busy: ${inFlight} batches in flight, ${waiting.length} queued`, {
        canRetry: true,
      });
    }
    // The releasing batch hands its slot straight to the next waiter, so inFlight stays put.
    await new Promise<void>((resolve) => waiting.push(resolve));
  };

  const release = (): void => {
    const next = waiting.shift();
    if (next === undefined) inFlight -= 1;
    else next();
  };

  return {
    async run(work) {
      await acquire();
      try {
        return await work();
      } finally {
        release();
      }
    },
    get inFlight() {
      return inFlight;
    },
    get queued() {
      return waiting.length;
    },
  };
}
