/**
 * What the mobile app does with the edge's answer to a photo upload, as a plain decision: the
 * verdict, give up (refused), or try again. The edge says which errors are worth another try
 * in its error body, `{ error: { code, reason, detail, retryable } }` (docs/edge.md, "Return
 * photos"): a return still being verified (409), a busy or closing edge (503), an internal
 * error (500). The app follows that flag rather than guessing from the status; only an answer
 * without a readable error body falls back to the status (5xx: try again).
 */
export type UploadStep =
  | { kind: 'verdict'; verdict: string }
  | { kind: 'refused'; code: string | undefined }
  | { kind: 'retry'; afterS: number };

/** Without Retry-After (a 409, a dropped connection) the app waits this long. */
export const DEFAULT_RETRY_AFTER_S = 1;
const MAX_RETRY_AFTER_S = 30;

/**
 * `answer` undefined: no HTTP answer (connection refused or dropped). `body`: the parsed JSON
 * body, or undefined when it was not JSON.
 */
export function uploadStep(answer: { status: number; retryAfter: string | null; body: unknown } | undefined): UploadStep {
  if (answer === undefined) return { kind: 'retry', afterS: DEFAULT_RETRY_AFTER_S };
  const { status, body } = answer;
  if (status >= 200 && status < 300) {
    const verdict = (body as { verdict?: unknown } | undefined)?.verdict;
    if (typeof verdict === 'string') return { kind: 'verdict', verdict };
  }
  const error = (body as { error?: { code?: unknown; retryable?: unknown } } | undefined)?.error;
  const retryable = typeof error?.retryable === 'boolean' ? error.retryable : status >= 500;
  if (!retryable) return { kind: 'refused', code: typeof error?.code === 'string' ? error.code : undefined };
  const afterS = Number(answer.retryAfter ?? DEFAULT_RETRY_AFTER_S);
  return { kind: 'retry', afterS: Number.isFinite(afterS) && afterS >= 0 ? Math.min(MAX_RETRY_AFTER_S, afterS) : DEFAULT_RETRY_AFTER_S };
}
