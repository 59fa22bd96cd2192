/**
 * Refuses secrets that are not secret: too short, or a placeholder copied from an example
 * (a sentence, "change-me", "example"…), or so repetitive that it is guessable. A config holding
 * one does not start, so a copied example never runs with a publicly known key.
 */

const PLACEHOLDER = /example|placeholder|change[-_ ]?me|replace|insert|your[-_ ]?(secret|key|token)|todo|xxx|dummy|sample|instead/i;
const MIN_DISTINCT_CHARS = 10;

/** Why the value is not a usable secret, or undefined when it is. */
export function weakSecretReason(value: string, minLength: number): string | undefined {
  if (value.length < minLength) return `at least ${minLength} characters required`;
  if (/\s/.test(value) || PLACEHOLDER.test(value)) return 'looks like a placeholder or example text, not a secret';
  if (new Set(value).size < MIN_DISTINCT_CHARS) return `too few different characters (fewer than ${MIN_DISTINCT_CHARS})`;
  return undefined;
}

/** The config problem for a weak secret at `path`, saying how to make a good one; undefined when fine. */
export function weakSecretProblem(path: string, value: string, minLength: number, envName?: string): string | undefined {
  const reason = weakSecretReason(value, minLength);
  if (reason === undefined) return undefined;
  const where = envName === undefined ? '' : ` and set it with ${envName}`;
  return `${path}: ${reason}; generate one with \`openssl rand -base64 48\`${where}`;
}
