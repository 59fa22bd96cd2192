/**
 * The dead-letter topic for operators (`fleetwire cloud dlq list|show|replay`): read it whole
 * through `Bus.scan`, pick letters by reason, origin topic, group, record id or time, show one with
 * its original bytes, and replay chosen ones to the topic they came from — with their original
 * key, value, headers and record id (`dead-letters.ts`), so consumers' dedupe by `fw-id` makes a
 * replay safe. Letters without an origin topic (bytes the ingest refused before they became a
 * record) are never replayed: the edge re-sends those.
 */
import { BUS_HEADERS, BUS_TOPICS } from '@fleetwire/protocol';
import type { Bus, DeliveredMessage } from './bus.js';
import { DEAD_LETTER_HEADERS, originOf, replayMessage } from './dead-letters.js';

export interface DeadLetterFilter {
  reason?: string;
  /** The topic the record was read from. */
  topic?: string;
  group?: string;
  /** Record ids (`fw-id`). */
  ids?: readonly string[];
  /** Letters by their place in the dead-letter topic, `partition/offset`. */
  letters?: readonly string[];
  /** Dead-lettered at or after / before (ms since the epoch). */
  since?: number;
  until?: number;
}

export interface DeadLetterSummary {
  /** `partition/offset` in the dead-letter topic. */
  letter: string;
  id: string | undefined;
  reason: string;
  detail: string;
  group: string | undefined;
  /** `{topic}/{partition}/{offset}` it was read from, when known. */
  origin: string | undefined;
  source: string | undefined;
  /** ms since the epoch. */
  at: number | undefined;
  bytes: number;
}

export function summarize(letter: DeliveredMessage): DeadLetterSummary {
  const { headers } = letter;
  const stamped = headers[DEAD_LETTER_HEADERS.at];
  return {
    letter: `${letter.partition}/${letter.offset}`,
    id: headers[BUS_HEADERS.id],
    reason: headers[BUS_HEADERS.reason] ?? 'unknown',
    detail: headers[BUS_HEADERS.detail] ?? '',
    group: headers[DEAD_LETTER_HEADERS.group],
    origin: headers[DEAD_LETTER_HEADERS.origin],
    source: headers[BUS_HEADERS.source],
    at: stamped === undefined ? letter.timestamp : Date.parse(stamped),
    bytes: letter.value.length,
  };
}

export function matches(letter: DeliveredMessage, filter: DeadLetterFilter): boolean {
  const summary = summarize(letter);
  if (filter.reason !== undefined && summary.reason !== filter.reason) return false;
  if (filter.topic !== undefined && originOf(letter)?.topic !== filter.topic) return false;
  if (filter.group !== undefined && summary.group !== filter.group) return false;
  if (filter.ids !== undefined && (summary.id === undefined || !filter.ids.includes(summary.id))) return false;
  if (filter.letters !== undefined && !filter.letters.includes(summary.letter)) return false;
  if (filter.since !== undefined && (summary.at === undefined || summary.at < filter.since)) return false;
  if (filter.until !== undefined && (summary.at === undefined || summary.at >= filter.until)) return false;
  return true;
}

export async function findDeadLetters(bus: Bus, filter: DeadLetterFilter = {}): Promise<DeliveredMessage[]> {
  const found: DeliveredMessage[] = [];
  await bus.scan(BUS_TOPICS.deadLetters, (batch) => {
    for (const letter of batch) if (matches(letter, filter)) found.push(letter);
  });
  return found.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

export interface ReplayResult {
  replayed: DeadLetterSummary[];
  /** Letters chosen but not replayed, and why. */
  skipped: Array<{ letter: DeadLetterSummary; why: string }>;
}

/** Produces each chosen letter's record back to its origin topic (durably, in one produce call). */
export async function replayDeadLetters(bus: Bus, filter: DeadLetterFilter): Promise<ReplayResult> {
  const letters = await findDeadLetters(bus, filter);
  const result: ReplayResult = { replayed: [], skipped: [] };
  const records = [];
  for (const letter of letters) {
    const record = replayMessage(letter);
    if (record === undefined) result.skipped.push({ letter: summarize(letter), why: 'no origin topic (refused at ingest: the edge re-sends it)' });
    else {
      records.push(record);
      result.replayed.push(summarize(letter));
    }
  }
  await bus.produce(records);
  return result;
}
