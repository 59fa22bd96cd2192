/**
 * Password work (scrypt) with bounded concurrency and a bounded queue: at most `concurrency`
 * derivations run at once, at most `maxQueued` wait, and anything beyond is refused at once
 * (the device is told to come back later) instead of piling up memory and latency for
 * everyone behind it.
 */

export class GateFullError extends Error {
  constructor() {
    super('password checks are saturated; try again later');
  }
}

export interface WorkGate {
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Waiting, not yet running. */
  readonly queued: number;
  readonly running: number;
}

export function createWorkGate(options: { concurrency: number; maxQueued: number }): WorkGate {
  const waiting: Array<() => void> = [];
  let running = 0;

  function release(): void {
    running -= 1;
    const next = waiting.shift();
    if (next !== undefined) next();
  }

  return {
    get queued() {
      return waiting.length;
    },
    get running() {
      return running;
    },
    async run(work) {
      if (running >= options.concurrency) {
        if (waiting.length >= options.maxQueued) throw new GateFullError();
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
      running += 1;
      try {
        return await work();
      } finally {
        release();
      }
    },
  };
}
