/**
 * The operator's bus commands, behind `fleetwire cloud topics …` and `fleetwire cloud dlq …`.
 * Each opens the configured bus (for the embedded log: only while no cloud runs on it, the log
 * is one process's), does one thing, prints it, and closes.
 */
import { BUS_HEADERS } from '@fleetwire/protocol';
import { CloudError } from '../errors.js';
import type { Bus, DeliveredMessage } from './bus.js';
import type { BusConfig } from './config-schema.js';
import { createBus } from './create-bus.js';
import { findDeadLetters, replayDeadLetters, summarize, type DeadLetterFilter } from './dead-letter-queue.js';
import { DEAD_LETTER_HEADERS } from './dead-letters.js';
import { applyTopics, planTopics } from './kafka/topic-commands.js';

export const TOPICS_USAGE = `fleetwire cloud topics plan|apply [--config <file>]

plan    print the Kafka topics the config asks for (names with topics.prefix, partitions,
        replication, retention.ms, cleanup.policy, min.insync.replicas) beside what the cluster has
apply   create the missing ones (run it as a user with the right to create topics); settings of
        topics that exist are reported, not changed`;

export const DLQ_USAGE = `fleetwire cloud dlq list|show|replay [filters] [--config <file>]

list                 one line per dead letter: place (partition/offset), time, reason, group, origin, record id
show <p/o>           one dead letter: its headers and its original bytes
replay <filters>     produce the chosen letters' records back to the topic they were read from, with their
                     original key, value, headers and record id (consumers dedupe by id, so this is safe);
                     needs at least one filter, or --all
filters: --reason <code>  --topic <origin topic>  --group <consumer group>  --id <record id,…>
         --letter <p/o,…>  --since <ISO time>  --until <ISO time>`;

export interface DlqArguments {
  reason?: string | undefined;
  topic?: string | undefined;
  group?: string | undefined;
  id?: string | undefined;
  letter?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  all?: boolean | undefined;
}

function time(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new CloudError('FW_CONFIG_INVALID', `--${option} ${text}: not a time (give e.g. 2026-12-07T10:00:00Z)`);
  return ms;
}

export function dlqFilter(args: DlqArguments): DeadLetterFilter {
  const list = (text: string | undefined) => text?.split(',').map((v) => v.trim()).filter(Boolean);
  const filter: DeadLetterFilter = {
    reason: args.reason, topic: args.topic, group: args.group, ids: list(args.id), letters: list(args.letter),
    since: time(args.since, 'since'), until: time(args.until, 'until'),
  };
  return Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)) as DeadLetterFilter;
}

function line(letter: DeliveredMessage): string {
  const s = summarize(letter);
  const at = s.at === undefined ? '-' : new Date(s.at).toISOString();
  return [s.letter, at, s.reason, s.group ?? '-', s.origin ?? '-', s.id ?? '-', `${s.bytes} B`, s.detail].join('  ');
}

function show(letter: DeliveredMessage): string {
  const headers = Object.entries(letter.headers)
    .filter(([name]) => name !== DEAD_LETTER_HEADERS.originalHeaders)
    .map(([name, value]) => `  ${name}: ${value}`);
  const original = letter.headers[DEAD_LETTER_HEADERS.originalHeaders];
  return [
    `dead letter ${letter.partition}/${letter.offset}  key ${letter.key}`,
    ...headers,
    ...(original === undefined ? [] : [`  original headers: ${original}`]),
    `original bytes (${letter.value.length}, ${letter.headers[BUS_HEADERS.reason] ?? ''}):`,
    letter.value.toString('utf8'),
  ].join('\n');
}

async function withBus<T>(config: BusConfig, work: (bus: Bus) => Promise<T>): Promise<T> {
  const bus = createBus(config);
  try {
    return await work(bus);
  } finally {
    await bus.close();
  }
}

export async function runTopicsCommand(config: BusConfig, action: string | undefined, print: (text: string) => void): Promise<number> {
  if (config.kind !== 'kafka') {
    print('the embedded bus creates its topics itself; topics plan|apply is for Kafka (bus.kind "kafka")');
    return 2;
  }
  if (action !== 'plan' && action !== 'apply') {
    print(TOPICS_USAGE);
    return 2;
  }
  const report = await (action === 'plan' ? planTopics(config) : applyTopics(config));
  for (const text of report.lines) print(text);
  for (const text of report.drift) print(`differs: ${text}`);
  return 0;
}

export async function runDlqCommand(
  config: BusConfig, action: string | undefined, target: string | undefined, args: DlqArguments, print: (text: string) => void,
): Promise<number> {
  const filter = dlqFilter(args);
  switch (action) {
    case 'list':
      return withBus(config, async (bus) => {
        const letters = await findDeadLetters(bus, filter);
        for (const letter of letters) print(line(letter));
        print(`${letters.length} dead letter(s)`);
        return 0;
      });
    case 'show':
      if (target === undefined) {
        print('dlq show <partition/offset> (the first column of dlq list)');
        return 2;
      }
      return withBus(config, async (bus) => {
        const [letter] = await findDeadLetters(bus, { letters: [target] });
        if (letter === undefined) {
          print(`no dead letter at ${target}`);
          return 1;
        }
        print(show(letter));
        return 0;
      });
    case 'replay':
      if (Object.keys(filter).length === 0 && args.all !== true) {
        print('dlq replay needs a filter (--id, --letter, --reason, --topic, --group, --since, --until) or --all');
        return 2;
      }
      return withBus(config, async (bus) => {
        const result = await replayDeadLetters(bus, filter);
        for (const s of result.replayed) print(`replayed ${s.letter} → ${s.origin?.replace(/\/\d+\/\d+$/, '')} (record ${s.id ?? '-'})`);
        for (const { letter, why } of result.skipped) print(`skipped ${letter.letter}: ${why}`);
        print(`${result.replayed.length} replayed, ${result.skipped.length} skipped`);
        return 0;
      });
    default:
      print(DLQ_USAGE);
      return 2;
  }
}
