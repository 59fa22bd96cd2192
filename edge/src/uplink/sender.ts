/**
 * One HTTP attempt: POST an encoded batch with Node's fetch, bounded by a timeout and by the
 * uplink's stop signal. Never throws: a failure is an answer of its own kind.
 */
import { BATCH_PATH, type EncodedBatch } from '@fleetwire/protocol';

export type SendResult =
  | { kind: 'answer'; status: number; retryAfter: string | null; body: string }
  | { kind: 'network'; timedOut: boolean; message: string };

export interface SendOptions {
  url: string;
  token: string;
  timeoutMs: number;
  /** Aborts the attempt when the uplink is stopping. */
  signal: AbortSignal;
}

export async function sendBatch(batch: EncodedBatch, options: SendOptions): Promise<SendResult> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await fetch(`${options.url}${BATCH_PATH}`, {
      method: 'POST',
      headers: { ...batch.headers, authorization: `Bearer ${options.token}` },
      body: batch.body,
      signal: AbortSignal.any([timeout, options.signal]),
    });
    const body = await response.text();
    return { kind: 'answer', status: response.status, retryAfter: response.headers.get('retry-after'), body };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const message = cause?.code ?? cause?.message ?? (error as Error).message;
    return { kind: 'network', timedOut: timeout.aborted, message };
  }
}
