/**
 * The audit trail's chain, as plain functions over data. Every entry carries the hash of the
 * entry before it; its own hash covers its sequence number, time, action, actor, subject,
 * detail and that previous hash:
 *
 *   hash(n) = sha256( "fleetwire-audit-v1" ‖ n ‖ at ‖ action ‖ actor ‖ subject ‖ detail ‖ hash(n−1) )
 *
 * (fields joined by a newline, `detail` as the exact JSON text stored; hash(0) is 64 zeros).
 * Changing any stored field of an entry breaks its hash; removing or inserting an entry breaks
 * the sequence and the next entry's previous hash. What the chain alone cannot show is the
 * newest entries being cut off the end: that needs a head (sequence number and hash) kept
 * somewhere else — `verifyChain` checks the log still reaches it.
 */
import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);
const DOMAIN = 'fleetwire-audit-v1';

/** What a caller records. `subject` is `{kind}:{id}` (`vehicle:VH-0001`, `node:node-1`, `cloud:config`). */
export interface AuditInput {
  at: number;
  action: AuditAction;
  /** Who did it: `service:payment`, `edge:node-1`, `cli:alice`, `cloud:host-1`. */
  actor: string;
  subject: string;
  detail: Record<string, unknown>;
  /** What the entry records, unique per log: a re-recorded operation (a re-delivered record) is not appended twice. */
  ref?: string;
}

export const AUDIT_ACTIONS = ['business_event_accepted', 'return_verdict', 'fraud_flag', 'fleet_decision', 'payment_request', 'return_compensation', 'return_closed', 'command_requested', 'command_outcome', 'credential_issued', 'config_loaded'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  seq: number;
  at: number;
  action: string;
  actor: string;
  subject: string;
  /** The detail as stored: JSON text, hashed exactly as it is. */
  detail: string;
  ref: string | null;
  prevHash: string;
  hash: string;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

export function entryHash(entry: Omit<AuditEntry, 'hash' | 'ref'>): string {
  const fields = [DOMAIN, String(entry.seq), String(entry.at), entry.action, entry.actor, entry.subject, entry.detail, entry.prevHash];
  return createHash('sha256').update(fields.join('\n'), 'utf8').digest('hex');
}

/** The next entry after `head` (null for the first). */
export function chainEntry(head: ChainHead | null, input: AuditInput): AuditEntry {
  const body = {
    seq: (head?.seq ?? 0) + 1,
    at: input.at,
    action: input.action,
    actor: input.actor,
    subject: input.subject,
    detail: JSON.stringify(input.detail),
    prevHash: head?.hash ?? GENESIS_HASH,
  };
  return { ...body, ref: input.ref ?? null, hash: entryHash(body) };
}

export interface ChainReport {
  ok: boolean;
  entries: number;
  head: ChainHead | null;
  /** One line per problem, naming the entry: `entry 7: hash does not match its content`. */
  problems: string[];
}

/** Walks the entries in sequence order; `expectedHead` is a head recorded earlier that must still be in the log, unchanged. */
export function verifyChain(entries: Iterable<AuditEntry>, expectedHead?: ChainHead): ChainReport {
  const problems: string[] = [];
  let previous: ChainHead = { seq: 0, hash: GENESIS_HASH };
  let count = 0;
  let headSeen = expectedHead === undefined;
  for (const entry of entries) {
    count += 1;
    if (entry.seq !== previous.seq + 1) problems.push(`entry ${entry.seq}: follows entry ${previous.seq} (entries ${previous.seq + 1}–${entry.seq - 1} are missing)`);
    if (entry.prevHash !== previous.hash) problems.push(`entry ${entry.seq}: its previous hash is not the hash of entry ${previous.seq}`);
    if (entryHash(entry) !== entry.hash) problems.push(`entry ${entry.seq}: hash does not match its content`);
    if (expectedHead !== undefined && entry.seq === expectedHead.seq) {
      headSeen = true;
      if (entry.hash !== expectedHead.hash) problems.push(`entry ${entry.seq}: is not the recorded head (hash ${expectedHead.hash.slice(0, 12)}…)`);
    }
    previous = { seq: entry.seq, hash: entry.hash };
  }
  if (!headSeen) problems.push(`the recorded head, entry ${expectedHead!.seq}, is no longer in the log (newest is ${previous.seq}): entries were cut off`);
  return { ok: problems.length === 0, entries: count, head: count === 0 ? null : previous, problems };
}

export function parseHead(text: string): ChainHead | undefined {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(text.trim());
  return match === null ? undefined : { seq: Number(match[1]), hash: match[2]! };
}

export function formatHead(head: ChainHead): string {
  return `${head.seq}:${head.hash}`;
}
