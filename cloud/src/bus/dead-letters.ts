/**
 * Dead letters written by the bus itself: a record a consumer group's handler kept failing on.
 * Same topic and header names as the ingest's and the sink's dead letters (protocol
 * `BUS_TOPICS.deadLetters`, `BUS_HEADERS`), plus what a replay needs:
 *   key, value        the original key and bytes, untouched
 *   fw-id             the original record id (replays keep it, so consumers' dedupe holds)
 *   fw-reason         `handler_failed`; fw-detail: the handler's error message (cut to 512 chars)
 *   fw-group          the consumer group that gave up on it
 *   fw-origin         `{topic}/{partition}/{offset}` where it was read (logical topic name)
 *   fw-headers        the original headers as JSON
 *   fw-dead-lettered-at  ISO time
 * `replayMessage` turns any dead letter with an origin back into the record it was.
 */
import { BUS_HEADERS, BUS_TOPICS, DEAD_LETTER_DETAIL_MAX } from '@fleetwire/protocol';
import type { BusMessage, DeliveredMessage } from './bus.js';

export const DEAD_LETTER_HEADERS = {
  group: 'fw-group',
  origin: 'fw-origin',
  originalHeaders: 'fw-headers',
  at: 'fw-dead-lettered-at',
  replayedFrom: 'fw-replayed-from',
} as const;

export const HANDLER_FAILED = 'handler_failed';

export function handlerDeadLetter(message: DeliveredMessage, groupId: string, error: unknown, now = new Date()): BusMessage {
  const detail = error instanceof Error ? error.message : String(error);
  return {
    topic: BUS_TOPICS.deadLetters,
    key: message.key,
    value: message.value,
    headers: {
      [BUS_HEADERS.kind]: 'dead_letter',
      [BUS_HEADERS.reason]: HANDLER_FAILED,
      [BUS_HEADERS.detail]: detail.slice(0, DEAD_LETTER_DETAIL_MAX),
      [BUS_HEADERS.source]: message.key,
      ...(message.headers[BUS_HEADERS.id] === undefined ? {} : { [BUS_HEADERS.id]: message.headers[BUS_HEADERS.id] }),
      [DEAD_LETTER_HEADERS.group]: groupId,
      [DEAD_LETTER_HEADERS.origin]: `${message.topic}/${message.partition}/${message.offset}`,
      [DEAD_LETTER_HEADERS.originalHeaders]: JSON.stringify(message.headers),
      [DEAD_LETTER_HEADERS.at]: now.toISOString(),
    },
  };
}

export interface Origin {
  topic: string;
  partition: number;
  offset: string;
}

export function originOf(letter: Pick<BusMessage, 'headers'>): Origin | undefined {
  const match = /^(.+)\/(\d+)\/(\d+)$/.exec(letter.headers[DEAD_LETTER_HEADERS.origin] ?? '');
  if (match === null) return undefined;
  return { topic: match[1] as string, partition: Number(match[2]), offset: match[3] as string };
}

const LETTER_ONLY = new Set<string>([
  BUS_HEADERS.kind, BUS_HEADERS.reason, BUS_HEADERS.detail, BUS_HEADERS.source, ...Object.values(DEAD_LETTER_HEADERS),
]);

/**
 * The record a dead letter came from, for its source topic: the original key, bytes and headers
 * (from `fw-headers`; for letters without it, the letter's headers less the dead-letter ones, so
 * `fw-id` stays), plus `fw-replayed-from` naming the letter. Undefined when the letter has no
 * origin topic (the ingest refused the bytes before they were a record: re-send them from the edge).
 */
export function replayMessage(letter: DeliveredMessage): BusMessage | undefined {
  const origin = originOf(letter);
  if (origin === undefined) return undefined;
  const saved = letter.headers[DEAD_LETTER_HEADERS.originalHeaders];
  const headers: Record<string, string> = saved === undefined
    ? Object.fromEntries(Object.entries(letter.headers).filter(([name]) => !LETTER_ONLY.has(name)))
    : (JSON.parse(saved) as Record<string, string>);
  headers[DEAD_LETTER_HEADERS.replayedFrom] = `${letter.topic}/${letter.partition}/${letter.offset}`;
  return { topic: origin.topic, key: letter.key, value: letter.value, headers };
}
