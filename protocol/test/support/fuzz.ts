/**
 * @fleetwire/protocol/testing/fuzz — what every fuzz suite shares: its plan (how many cases, from
 * which seed: fixed by default so CI is repeatable and bounded, overridable for a longer local
 * run) and byte-level mutations of a valid input, the way a flaky link, a buggy firmware or an
 * attacker would change it. Test code only.
 */
import fc from 'fast-check';

export interface FuzzPlan {
  readonly seed: number;
  readonly runs: number;
}

/**
 * The suite's own defaults, unless FLEETWIRE_FUZZ_SEED or FLEETWIRE_FUZZ_RUNS say otherwise
 * (they apply to every suite of the run). The plan in force is printed, so a failure found
 * with another seed can be replayed.
 */
export function fuzzPlan(suite: string, defaults: FuzzPlan, env: NodeJS.ProcessEnv = process.env): FuzzPlan {
  const plan = { seed: envInteger(env, 'FLEETWIRE_FUZZ_SEED') ?? defaults.seed, runs: envInteger(env, 'FLEETWIRE_FUZZ_RUNS') ?? defaults.runs };
  console.log(`fuzz ${suite}: seed ${plan.seed}, ${plan.runs} runs`);
  return plan;
}

function envInteger(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${text}"`);
  return value;
}

/** The fast-check parameters of a plan: its seed and count, no time limit (the count bounds the run). */
export const runParameters = (plan: FuzzPlan): { seed: number; numRuns: number; endOnFailure: true } => ({ seed: plan.seed, numRuns: plan.runs, endOnFailure: true });

/**
 * The time limit of a fuzz test: the integration default (2 min), or more when the plan's count
 * needs it (a long local run), at `perRunMs` per case.
 */
export const fuzzTimeout = (plan: FuzzPlan, perRunMs: number): number => Math.max(120_000, plan.runs * perRunMs);

/** One edit of a byte string; positions are taken modulo its length when applied. */
export type ByteEdit =
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'repeat'; at: number; length: number };

const byte = fc.integer({ min: 0, max: 255 });
/** Bytes that matter to the parsers: the high bit (UTF-8, varints), NUL, quotes, braces, CR/LF. */
const specialByte = fc.constantFrom(0x00, 0x7f, 0x80, 0xbf, 0xc0, 0xff, 0x22, 0x7b, 0x7d, 0x0a, 0x0d);

export const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.oneof(byte, specialByte) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
);

export function applyEdits(valid: Uint8Array, edits: readonly ByteEdit[]): Buffer {
  let bytes = Buffer.from(valid);
  for (const edit of edits) {
    const at = bytes.length === 0 ? 0 : edit.at % bytes.length;
    switch (edit.kind) {
      case 'set':
        if (bytes.length > 0) bytes[at] = edit.byte;
        break;
      case 'truncate':
        bytes = bytes.subarray(0, at);
        break;
      case 'insert':
        bytes = Buffer.concat([bytes.subarray(0, at), edit.bytes, bytes.subarray(at)]);
        break;
      case 'delete':
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + edit.length)]);
        break;
      case 'repeat':
        bytes = Buffer.concat([bytes.subarray(0, at + edit.length), bytes.subarray(at)]);
        break;
    }
  }
  return Buffer.from(bytes);
}

/** `valid` with one to `maxEdits` edits applied (the result may by chance still be valid). */
export const mutatedBytes = (valid: Uint8Array, maxEdits = 4): fc.Arbitrary<Buffer> =>
  fc.array(byteEdit, { minLength: 1, maxLength: maxEdits }).map((edits) => applyEdits(valid, edits));

/** One of `samples`, mutated: the usual shape of a fuzz case. */
export const mutatedSample = (samples: readonly Uint8Array[], maxEdits = 4): fc.Arbitrary<Buffer> =>
  fc.constantFrom(...samples).chain((sample) => mutatedBytes(sample, maxEdits));

/** Draws `count` values of an arbitrary from a plan's seed: for suites that send a fixed list. */
export function sampleCases<T>(arbitrary: fc.Arbitrary<T>, plan: FuzzPlan, count = plan.runs): T[] {
  return fc.sample(arbitrary, { seed: plan.seed, numRuns: count });
}
