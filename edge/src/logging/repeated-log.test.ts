import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EdgeError } from '../errors.js';
import { createRepeatedLog, OTHER_KEY } from './repeated-log.js';

type Line = Record<string, unknown>;

function recordingLogger(): { lines: Line[]; logger: Record<'info' | 'warn' | 'error', (fields: Line) => void> } {
  const lines: Line[] = [];
  const write = (level: string) => (fields: Line) => void lines.push({ level, ...fields });
  return { lines, logger: { info: write('info'), warn: write('warn'), error: write('error') } };
}

describe('repeated log', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('logs a sustained refusal once, then one summary a minute with its counts', () => {
    const { lines, logger } = recordingLogger();
    const log = createRepeatedLog(logger as never, { event: 'intake_commit_failed', level: 'error' });
    const full = new EdgeError('FW_BUFFER_FULL', 'free-disk floor reached', { canRetry: true });
    // 10 devices, 50 refused publishes a second each, for six minutes.
    for (let second = 0; second < 360; second++) {
      for (let i = 0; i < 500; i++) log.note('FW_BUFFER_FULL', { clientId: `VH-${i % 10}`, err: full });
      vi.advanceTimersByTime(1_000);
    }
    expect(lines.length).toBe(1 + 6);
    expect(lines[0]).toMatchObject({ level: 'error', event: 'intake_commit_failed', key: 'FW_BUFFER_FULL', err: full });
    const summaries = lines.slice(1);
    expect(summaries.every((line) => line.event === 'intake_commit_failed_repeated' && line.err === undefined)).toBe(true);
    expect(summaries[0]).toMatchObject({ key: 'FW_BUFFER_FULL', errorCode: 'FW_BUFFER_FULL', repeated: 60 * 500 - 1, total: 60 * 500 });
    const counted = summaries.reduce((sum, line) => sum + (line.repeated as number), 1);
    expect(counted).toBe(360 * 500);
  });

  it('forgets a condition quiet for a whole interval, so its return is logged in full again', () => {
    const { lines, logger } = recordingLogger();
    const log = createRepeatedLog(logger as never, { event: 'uplink_send_failed', level: 'warn', intervalMs: 1_000 });
    log.note('network', { failureClass: 'network' });
    log.note('network', { failureClass: 'network' });
    vi.advanceTimersByTime(1_000); // summary: 1 repeated
    vi.advanceTimersByTime(1_000); // quiet: forgotten, the timer stops
    log.note('network', { failureClass: 'network' });
    expect(lines.map((line) => line.event)).toEqual(['uplink_send_failed', 'uplink_send_failed_repeated', 'uplink_send_failed']);
    expect(vi.getTimerCount()).toBe(1);
  });

  it('ends every condition with the count not yet reported when the caller says it is over', () => {
    const { lines, logger } = recordingLogger();
    const log = createRepeatedLog(logger as never, { event: 'uplink_send_failed', level: 'warn' });
    log.note('network', {});
    log.note('timeout', {});
    log.note('timeout', {});
    log.end();
    expect(lines.slice(2)).toEqual([
      expect.objectContaining({ event: 'uplink_send_failed_ended', key: 'network', repeated: 0, total: 1 }),
      expect.objectContaining({ event: 'uplink_send_failed_ended', key: 'timeout', repeated: 1, total: 2 }),
    ]);
    log.end();
    vi.advanceTimersByTime(120_000);
    expect(lines).toHaveLength(4);
  });

  it('counts keys beyond its limit under one other key instead of a line each', () => {
    const { lines, logger } = recordingLogger();
    const log = createRepeatedLog(logger as never, { event: 'message_quarantined', level: 'info', maxKeys: 3 });
    for (let device = 0; device < 1_000; device++) log.note(`VH-${device}:schema_violation`, { deviceId: `VH-${device}` });
    expect(lines.map((line) => line.key)).toEqual(['VH-0:schema_violation', 'VH-1:schema_violation', 'VH-2:schema_violation', OTHER_KEY]);
    log.flush();
    expect(lines.at(-1)).toMatchObject({ event: 'message_quarantined_repeated', key: OTHER_KEY, repeated: 996, total: 997 });
  });
});
