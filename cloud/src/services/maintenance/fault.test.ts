import { describe, expect, it } from 'vitest';
import { HOUR_MS as HOUR } from '@fleetwire/protocol';
import { assessFault, createFaultHistory, observeFaults } from './fault.js';
import { defaultPredictionSettings } from '../../../test/support/maintenance-readings.js';

const T0 = Date.UTC(2026, 0, 1);
const settings = defaultPredictionSettings().faults;

describe('recurring fault codes', () => {
  it('counts a code that clears and comes back as a second episode, and calls it recurring', () => {
    const history = createFaultHistory();
    observeFaults(history, ['P0C73'], T0, settings);
    observeFaults(history, ['P0C73'], T0 + 60_000, settings);
    expect(assessFault(history, 'P0C73', settings)?.verdict).toBe('clear');
    observeFaults(history, [], T0 + HOUR, settings);
    observeFaults(history, ['P0C73'], T0 + 5 * HOUR, settings);
    expect(assessFault(history, 'P0C73', settings)).toMatchObject({ component: 'dtc_p0c73', reason: 'recurring_dtc', verdict: 'due', withinDays: 0, evidence: { episodes: 2 }, dtcs: ['P0C73'] });
  });

  it('does not let a late reading start or end an episode', () => {
    const history = createFaultHistory();
    observeFaults(history, ['U0100'], T0 + 2 * HOUR, settings);
    expect(observeFaults(history, [], T0 + HOUR, settings)).toEqual([]);
    observeFaults(history, ['U0100'], T0 + 3 * HOUR, settings);
    expect(history.codes.get('U0100')?.episodes).toEqual([T0 + 2 * HOUR]);
  });

  it('forgets episodes older than the window, and clears', () => {
    const history = createFaultHistory();
    observeFaults(history, ['C0750'], T0, settings);
    observeFaults(history, [], T0 + HOUR, settings);
    observeFaults(history, ['C0750'], T0 + 2 * HOUR, settings);
    expect(assessFault(history, 'C0750', settings)?.verdict).toBe('due');
    observeFaults(history, [], T0 + 8 * 24 * HOUR, settings);
    expect(assessFault(history, 'C0750', settings)?.verdict).toBe('clear');
  });

  it('follows at most maxCodes codes per vehicle', () => {
    const history = createFaultHistory();
    for (let i = 0; i < 200; i += 1) observeFaults(history, [`P${i.toString(16).toUpperCase().padStart(4, '0')}`], T0 + i * 60_000, settings);
    expect(history.codes.size).toBe(settings.maxCodes);
    expect(history.codes.has('P00C7')).toBe(true);
  });
});
