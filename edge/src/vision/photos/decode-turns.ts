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
 */
export interface DecodeTurns {
  shared<T>(work: () => Promise<T>): Promise<T>;
  exclusive<T>(work: () => Promise<T>): Promise<T>;
}

export function createDecodeTurns(): DecodeTurns {
  let running = 0;
  let exclusives = 0;
  let drained: (() => void) | undefined;
  // Settles when the latest exclusive turn ends; the next one waits for it.
  let gate: Promise<void> = Promise.resolve();

  return {
    async shared(work) {
      // Counted at once when no exclusive turn is asked for: a later exclusive turn waits for it.
      while (exclusives > 0) await gate;
      running += 1;
      try {
        return await work();
      } finally {
        running -= 1;
        if (running === 0) drained?.();
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
