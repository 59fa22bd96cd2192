/** The live progress line of a load run: rewritten in place on a terminal, one line a second otherwise. */
export interface ProgressCounters {
  sent: number;
  acked: number;
  errors: number;
  inFlight: number;
}

export interface ProgressLine {
  stop(): void;
}

export function createProgressLine(stream: NodeJS.WritableStream | false, read: () => ProgressCounters, targetRate: number | null): ProgressLine {
  if (!stream) return { stop: () => undefined };
  const tty = (stream as { isTTY?: boolean }).isTTY === true;
  const started = performance.now();
  let last = { at: started, sent: 0 };
  /** The rate over the last second while running; over the whole run for the final line. */
  const render = (final = false): string => {
    const now = performance.now();
    const c = read();
    const since = final ? { at: started, sent: 0 } : last;
    const rate = ((c.sent - since.sent) / Math.max(1, now - since.at)) * 1000;
    last = { at: now, sent: c.sent };
    const target = targetRate === null ? 'unpaced' : `target ${targetRate}/s`;
    return `loadgen ${((now - started) / 1000).toFixed(1)}s  sent ${c.sent}  acked ${c.acked}  rate ${Math.round(rate)}/s (${target})  in-flight ${c.inFlight}  errors ${c.errors}`;
  };
  const timer = setInterval(() => stream.write(tty ? `\r${render()}\x1b[K` : `${render()}\n`), 1_000);
  return {
    stop() {
      clearInterval(timer);
      stream.write(tty ? `\r${render(true)}\x1b[K\n` : `${render(true)}\n`);
    },
  };
}
