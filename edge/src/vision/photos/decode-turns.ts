/**
 * Turns for sharp's work in this process: shared turns run side by side, an exclusive turn runs
 * alone. Why (preprocess.ts, decode()): sharp collects libvips warnings in ONE process-wide queue
 * and whichever operation finishes next takes them all — a metadata read or another photo's
 * decode can take the warning that says a JPEG's data ended early, and the strict decode that
 * failed on it reports only "Warning treated as error due to failOn setting". That a strict
 * decode failed is reliable side by side; why it failed is only reliable when it ran alone.
 * So every sharp operation takes a shared turn, and the rare strict failure is decoded again in
 * an exclusive turn to read its reason. An exclusive turn waits for the shared ones running and
 * holds new ones back until it is done.
 *
 * At most `maxShared` shared turns run at once, the rest wait in order. sharp runs each pipeline
 * on one of libuv's threads (4 by default), and so do the fsyncs of the record buffer and of the
 * stored photos, file opens and renames, and WebCrypto's token checks: with two uploads' photos
 * decoding, those short jobs queued behind whole decodes and a verified return waited for its
 * commit while its turn at the gate was held.
 */
export interface DecodeTurns {
  shared<T>(work: () => Promise<T>): Promise<T>;
  exclusive<T>(work: () => Promise<T>): Promise<T>;
}

export function createDecodeTurns(options: { maxShared?: number } = {}): DecodeTurns {
  const maxShared = options.maxShared ?? Number.POSITIVE_INFINITY;
  let running = 0;
  let exclusives = 0;
  let drained: (() => void) | undefined;
  // Shared turns waiting for one of the maxShared places, first asked first served.
  const waiting: Array<() => void> = [];
  // Settles when the latest exclusive turn ends; the next one waits for it.
  let gate: Promise<void> = Promise.resolve();

  return {
    async shared(work) {
      // Counted at once when no exclusive turn is asked for: a later exclusive turn waits for it.
      while (exclusives > 0) await gate;
      // No place free: wait for one to be handed over (still counted, so in order).
      if (running < maxShared) running += 1;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await work();
      } finally {
        const next = waiting.shift();
        if (next !== undefined) {
          next();
        } else {
          running -= 1;
          if (running === 0) drained?.();
        }
      }
    },

    async exclusive(work) {
      exclusives += 1;
      const before = gate;
      let release!: () => void;
      gate = new Promise((resolve) => {
        release = resolve;
      });
      try {
        await before;
        if (running > 0) await new Promise<void>((resolve) => (drained = resolve));
        drained = undefined;
        return await work();
      } finally {
        exclusives -= 1;
        release();
      }
    },
  };
}
