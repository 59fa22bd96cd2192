/**
 * Admission of returns into verification. Decoding a 40 M-pixel photo takes over 100 MB, so a
 * small box verifies `maxActive` returns at a time; up to `maxWaiting` more wait their turn (their
 * uploads stall in TCP meanwhile), and beyond that an upload is turned away with
 * FW_VISION_OVERLOADED (retryable). One return is verified by one upload at a time: a second
 * upload of a return already in verification gets FW_VISION_RETURN_BUSY.
 */
import { EdgeError } from '../../errors.js';

export interface ReturnGate {
  /** Resolves with the release function once the return may be verified. */
  enter(returnId: string): Promise<() => void>;
  readonly active: number;
  readonly waiting: number;
}

export function createReturnGate(options: { maxActive: number; maxWaiting: number }): ReturnGate {
  const inside = new Set<string>();
  const queue: Array<() => void> = [];
  let active = 0;

  const next = (): void => {
    if (active >= options.maxActive) return;
    const wake = queue.shift();
    if (wake === undefined) return;
    active += 1;
    wake();
  };

  return {
    async enter(returnId) {
      if (inside.has(returnId)) throw new EdgeError('FW_VISION_RETURN_BUSY', `return ${returnId} is being verified by another upload`);
      if (active >= options.maxActive && queue.length >= options.maxWaiting) {
        throw new EdgeError('FW_VISION_OVERLOADED', `${active} returns in verification and ${queue.length} waiting`, { canRetry: true });
      }
      inside.add(returnId);
      await new Promise<void>((resolve) => {
        queue.push(resolve);
        next();
      });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inside.delete(returnId);
        active -= 1;
        next();
      };
    },
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
  };
}
