/**
 * One log line per state change, then a summary with counts — for conditions that repeat per
 * message or per attempt (the buffer at its quota or free-disk floor refusing every publish,
 * the uplink down, a device sending junk). Logging each occurrence filled the journal of a Pi
 * (186,084 lines with stack traces in six minutes from 10 devices at the disk floor) and wore
 * the very SD card the floor protects.
 *
 * A condition is named by a key (an error code, a failure class, a device and a reason):
 * - its first occurrence is logged in full (with the error, if any): the state changed;
 * - further occurrences are counted; every `intervalMs` one `<event>_repeated` line per key
 *   says how many there were and carries the last occurrence's fields (without the stack);
 * - a key with no occurrence for a whole interval is forgotten, so its next occurrence is a
 *   state change again and logged in full; `end(key)` forgets it at once and logs
 *   `<event>_ended` with the count since the last line, when the caller knows it is over;
 * - at most `maxKeys` keys are tracked; occurrences of further keys are counted under one
 *   `other` key, so a fleet of misbehaving devices cannot turn the summary into a flood.
 * So a sustained condition writes at most maxKeys × (1 + elapsed / intervalMs) lines.
 */
import type { Logger } from 'pino';

export type RepeatedLogLevel = 'info' | 'warn' | 'error';

export interface RepeatedLogOptions {
  /** The event of the full line; summaries are `<event>_repeated`, ends `<event>_ended`. */
  event: string;
  level: RepeatedLogLevel;
  /** Default 60 s. */
  intervalMs?: number;
  /** Default 100. */
  maxKeys?: number;
}

export interface RepeatedLog {
  /** One occurrence of the condition `key`; `fields` are logged in full the first time. */
  note(key: string, fields: Record<string, unknown>): void;
  /** The condition `key` (default: every condition) is over, as when the uplink answers again: logs the count not yet reported. */
  end(key?: string, fields?: Record<string, unknown>): void;
  /** Writes the summaries of what is pending now (before the process stops). */
  flush(): void;
}

interface Condition {
  /** Occurrences since the last line about this key. */
  unreported: number;
  /** Occurrences since the condition began. */
  total: number;
  since: number;
  last: Record<string, unknown>;
}

export const OTHER_KEY = 'other';

/** The fields of an occurrence as a summary repeats them: no error object, no stack. */
function summaryFields(fields: Record<string, unknown>): Record<string, unknown> {
  const { err, ...rest } = fields;
  if (err === undefined) return rest;
  const error = err as { code?: unknown; message?: unknown };
  return { ...rest, errorCode: error.code, errorMessage: error.message };
}

export function createRepeatedLog(logger: Pick<Logger, RepeatedLogLevel>, options: RepeatedLogOptions): RepeatedLog {
  const intervalMs = options.intervalMs ?? 60_000;
  const maxKeys = options.maxKeys ?? 100;
  const conditions = new Map<string, Condition>();
  let timer: NodeJS.Timeout | undefined;

  const write = (fields: Record<string, unknown>, event: string): void => logger[options.level]({ ...fields, event }, event);

  function summarise(): void {
    const now = Date.now();
    for (const [key, condition] of conditions) {
      if (condition.unreported === 0) {
        conditions.delete(key);
        continue;
      }
      write({ ...summaryFields(condition.last), key, repeated: condition.unreported, total: condition.total, sinceMs: now - condition.since }, `${options.event}_repeated`);
      condition.unreported = 0;
    }
    if (conditions.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  return {
    note(key, fields) {
      const tracked = conditions.has(key) || conditions.size < maxKeys ? key : OTHER_KEY;
      const condition = conditions.get(tracked);
      if (condition !== undefined) {
        condition.unreported += 1;
        condition.total += 1;
        condition.last = tracked === key ? fields : { key };
        return;
      }
      conditions.set(tracked, { unreported: 0, total: 1, since: Date.now(), last: fields });
      write(tracked === key ? { ...fields, key } : { key: OTHER_KEY, firstKey: key }, options.event);
      if (timer === undefined) {
        timer = setInterval(summarise, intervalMs);
        timer.unref();
      }
    },

    end(key, fields = {}) {
      for (const ended of key === undefined ? [...conditions.keys()] : [key]) {
        const condition = conditions.get(ended);
        if (condition === undefined) continue;
        conditions.delete(ended);
        write({ ...fields, key: ended, repeated: condition.unreported, total: condition.total, sinceMs: Date.now() - condition.since }, `${options.event}_ended`);
      }
    },

    flush: summarise,
  };
}
