/**
 * Where "live" telemetry starts: the first record sequence committed within the live window.
 * Sequences grow with commit time, so one boundary sequence splits the telemetry queue into
 * live (>= boundary) and backlog (< boundary) with two index range scans and no clock column
 * scan. Marks are coalesced into `resolutionMs` buckets so memory stays bounded at any rate.
 */
export class LiveWindow {
  readonly #windowMs: number;
  readonly #resolutionMs: number;
  /** [commit time, first sequence of that commit], oldest first. */
  #marks: Array<[number, number]> = [];

  constructor(windowMs: number, resolutionMs = 50) {
    this.#windowMs = windowMs;
    this.#resolutionMs = resolutionMs;
  }

  /** Records that `firstSeq` (and every later sequence) was committed at `now`. */
  mark(firstSeq: number, now: number): void {
    const last = this.#marks.at(-1);
    if (last !== undefined && now - last[0] < this.#resolutionMs) return;
    this.#marks.push([now, firstSeq]);
  }

  /** The first live sequence; MAX_SAFE_INTEGER when nothing was committed within the window. */
  startSeq(now: number): number {
    const cutoff = now - this.#windowMs;
    let drop = 0;
    while (drop < this.#marks.length && this.#marks[drop]![0] <= cutoff) drop += 1;
    if (drop > 0) this.#marks = this.#marks.slice(drop);
    return this.#marks[0]?.[1] ?? Number.MAX_SAFE_INTEGER;
  }
}
