/**
 * A business system's side of the cloud's `POST /v1/events`: one event per request, resent with
 * the same event id until the cloud answers (a 2xx means it is durably on the bus). Retryable
 * answers (429, 503, a network error) back off and resend; a refusal (4xx) is final, counted and
 * reported — resending the same bytes could not change it. Events are sent one at a time per
 * client, in the order they were handed over.
 */
export interface BusinessEventsClientOptions {
  /** The cloud's base URL, e.g. http://127.0.0.1:8080. */
  cloudUrl: string;
  /** The client's token, `fwb1.{clientId}.{secret}`. */
  token: string;
  /** Back-off after a retryable answer: doubles from this up to `maxBackoffMs`. Default 200 / 5 000. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  onRefused?: (eventId: string, status: number, body: string) => void;
}

export interface BusinessEventsClientStats {
  accepted: number;
  duplicate: number;
  refused: number;
  retries: number;
  pending: number;
}

export interface BusinessEventsClient {
  send(event: { eventId: string }): void;
  /** Resolves once everything handed over so far was answered (or `stop()` was called). */
  idle(): Promise<void>;
  stop(): void;
  stats(): BusinessEventsClientStats;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

export function createBusinessEventsClient(options: BusinessEventsClientOptions): BusinessEventsClient {
  const url = new URL('/v1/events', options.cloudUrl).toString();
  const initialBackoffMs = options.initialBackoffMs ?? 200;
  const maxBackoffMs = options.maxBackoffMs ?? 5_000;
  const counts = { accepted: 0, duplicate: 0, refused: 0, retries: 0 };
  const queue: Array<{ eventId: string }> = [];
  let running: Promise<void> | undefined;
  let stopped = false;

  const deliver = async (event: { eventId: string }): Promise<void> => {
    const body = JSON.stringify(event);
    for (let backoff = initialBackoffMs; !stopped; backoff = Math.min(backoff * 2, maxBackoffMs)) {
      const answer = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
        body,
      }).catch(() => undefined);
      if (answer?.ok === true) {
        const { outcome } = (await answer.json()) as { outcome: 'accepted' | 'duplicate' };
        counts[outcome] += 1;
        return;
      }
      if (answer !== undefined && answer.status !== 429 && answer.status < 500) {
        counts.refused += 1;
        options.onRefused?.(event.eventId, answer.status, await answer.text());
        return;
      }
      await answer?.body?.cancel();
      counts.retries += 1;
      await sleep(backoff);
    }
  };

  const drain = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined && !stopped; next = queue.shift()) await deliver(next);
    running = undefined;
  };

  return {
    send(event) {
      if (stopped) return;
      queue.push(event);
      running ??= drain();
    },
    async idle() {
      while (running !== undefined) await running;
    },
    stop() {
      stopped = true;
      queue.length = 0;
    },
    stats: () => ({ ...counts, pending: queue.length + (running === undefined ? 0 : 1) }),
  };
}
