/**
 * The one error model of every fleetwire package: an error carries a stable `code` from its
 * package's list (`FW_...`), the underlying `cause`, and `canRetry` — whether the same call may
 * succeed later (a server still starting, a full disk being relieved) or never will (bad input,
 * bad config). Each package derives its own class with its own code list; retry logic everywhere
 * asks one question, `isRetryable(error)`.
 */
export interface CodedErrorOptions {
  cause?: unknown;
  /** Default false: an error is final unless its thrower knows trying again may help. */
  canRetry?: boolean;
}

export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly canRetry: boolean;

  constructor(code: Code, message: string, options: CodedErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // The subclass's own name (EdgeError, CloudError, …), as stack traces and logs show it.
    this.name = new.target.name;
    this.code = code;
    this.canRetry = options.canRetry ?? false;
  }
}

export function isRetryable(error: unknown): boolean {
  return error instanceof CodedError && error.canRetry;
}
