/**
 * What an answer of the cloud means for a batch (docs/uplink.md, "Answers") — plain functions.
 */
import { isReasonCode, type ReasonCode } from '@fleetwire/protocol';

/** Why an attempt failed; also the `class` label of fleetwire_uplink_errors_total. */
export type FailureClass = 'network' | 'timeout' | 'server' | 'throttled' | 'auth' | 'config';

export type AnswerAction =
  | { type: 'accepted' }
  /** The batch as a whole was refused (400/413): split it so one bad record cannot block the rest. */
  | { type: 'split'; reason: Extract<ReasonCode, 'batch_corrupt' | 'batch_too_large'> }
  | { type: 'retry'; failureClass: FailureClass };

/**
 * A 400/422 splits the batch only when the cloud itself says the batch is corrupt. Any other
 * 400 (a proxy in the way, plain HTTP on an HTTPS port, a WAF) is a configuration problem that
 * would otherwise split every batch down to single records and quarantine the whole backlog.
 * A 413 splits whoever sent it: smaller batches are the cure for a body limit anywhere on the path.
 */
export function classifyAnswer(status: number, body: string): AnswerAction {
  if (status >= 200 && status < 300) return { type: 'accepted' };
  if (status === 400 || status === 422) {
    return cloudReason(body) === 'batch_corrupt' ? { type: 'split', reason: 'batch_corrupt' } : { type: 'retry', failureClass: 'config' };
  }
  if (status === 413) return { type: 'split', reason: 'batch_too_large' };
  if (status === 429 || status === 503) return { type: 'retry', failureClass: 'throttled' };
  if (status === 401 || status === 403) return { type: 'retry', failureClass: 'auth' };
  if (status >= 500 || status === 408 || status === 409 || status === 425) return { type: 'retry', failureClass: 'server' };
  return { type: 'retry', failureClass: 'config' };
}

/** The `error.reason` of a fleetwire error answer (docs/cloud.md, "Error table"), if the body is one. */
function cloudReason(body: string): string | undefined {
  try {
    const reason = (JSON.parse(body) as { error?: { reason?: unknown } } | null)?.error?.reason;
    return typeof reason === 'string' ? reason : undefined;
  } catch {
    return undefined;
  }
}

export interface RejectedRecord {
  id: string;
  reason: ReasonCode | 'unknown';
  detail: string;
}

export interface AcceptedAnswer {
  accepted: number;
  duplicates: number;
  rejected: RejectedRecord[];
}

/**
 * Reads a 2xx body. The 2xx itself is what makes the batch safe to delete, so a body that does
 * not parse still counts every record as accepted (and is reported as `unreadable`).
 */
export function parseAcceptedAnswer(body: string, recordCount: number): AcceptedAnswer & { unreadable: boolean } {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { accepted: recordCount, duplicates: 0, rejected: [], unreadable: true };
  }
  const v = value as { accepted?: unknown; duplicates?: unknown; rejected?: unknown } | null;
  if (v === null || typeof v !== 'object') return { accepted: recordCount, duplicates: 0, rejected: [], unreadable: true };
  const rejected = Array.isArray(v.rejected)
    ? v.rejected.map((entry: { id?: unknown; reason?: unknown; detail?: unknown }) => ({
        id: String(entry?.id ?? ''),
        reason: isReasonCode(entry?.reason) ? entry.reason : ('unknown' as const),
        detail: String(entry?.detail ?? ''),
      }))
    : [];
  const count = (n: unknown, fallback: number) => (typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : fallback);
  return {
    accepted: count(v.accepted, recordCount - rejected.length),
    duplicates: count(v.duplicates, 0),
    rejected,
    unreadable: false,
  };
}
