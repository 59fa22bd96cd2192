/**
 * A minimal uplink for integration tests: POSTs a batch over real HTTP and, when asked, retries
 * the way the edge does on 409/429/503 — honouring retry-after (capped, to keep tests short) —
 * and reports every status it saw.
 */
import type { RawBatch } from './batches.js';

export interface SendResult {
  status: number;
  body: unknown;
  retryAfter: string | null;
}

export async function sendBatch(url: string, token: string | undefined, batch: RawBatch): Promise<SendResult> {
  const headers: Record<string, string> = { ...batch.headers };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${url}/v1/batches`, { method: 'POST', headers, body: batch.body });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text), retryAfter: response.headers.get('retry-after') };
}

const RETRYABLE = new Set([409, 429, 503]);

/** Sends until a non-retryable answer; every status seen is recorded in `seen`. */
export async function sendWithRetry(
  url: string,
  token: string,
  batch: RawBatch,
  seen: SendResult[],
  options: { maxWaitMs: number; deadlineMs: number },
): Promise<SendResult> {
  const deadline = Date.now() + options.deadlineMs;
  for (;;) {
    let result: SendResult;
    try {
      result = await sendBatch(url, token, batch);
    } catch {
      result = { status: 0, body: undefined, retryAfter: null };
    }
    seen.push(result);
    if (!RETRYABLE.has(result.status) && result.status !== 0) return result;
    if (Date.now() > deadline) return result;
    const wait = Math.min(options.maxWaitMs, Number(result.retryAfter ?? '1') * 1000);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
