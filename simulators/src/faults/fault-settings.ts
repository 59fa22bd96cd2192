/**
 * Which deliberate faults a run injects, and how often. Parsed from the command line's
 * `--faults drops,dupes=0.05,...`; a fault named without a value gets its default rate.
 */
import { SimulatorError } from '../errors.js';
import type { FaultKind } from '../world/outgoing.js';
import { FAULT_KINDS } from '../world/outgoing.js';

/**
 * Rates per fault kind (absent = off):
 * - drops: network drops per device per simulated hour (each lasts 20–120 simulated seconds);
 * - skew: share of devices whose clock is off by 10–120 minutes;
 * - dupes, reorder, malformed, impossible, impersonate: probability per message.
 */
export type FaultSettings = Partial<Record<FaultKind, number>>;

export const DEFAULT_FAULT_RATES: Readonly<Record<FaultKind, number>> = {
  drops: 1,
  skew: 0.1,
  dupes: 0.02,
  reorder: 0.02,
  malformed: 0.005,
  impossible: 0.005,
  impersonate: 0.005,
};

export function parseFaults(text: string): FaultSettings {
  const settings: FaultSettings = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, value] = part.split('=', 2) as [string, string | undefined];
    if (name === 'all') {
      Object.assign(settings, DEFAULT_FAULT_RATES);
      continue;
    }
    if (!(FAULT_KINDS as readonly string[]).includes(name)) {
      throw new SimulatorError('FW_SIM_OPTIONS_INVALID', `unknown fault '${name}' (known: all, ${FAULT_KINDS.join(', ')})`);
    }
    const kind = name as FaultKind;
    const rate = value === undefined ? DEFAULT_FAULT_RATES[kind] : Number(value);
    if (!Number.isFinite(rate) || rate < 0) throw new SimulatorError('FW_SIM_OPTIONS_INVALID', `fault ${kind}: rate must be a number ≥ 0, got '${value}'`);
    settings[kind] = rate;
  }
  return settings;
}

export function validateFaults(settings: FaultSettings): FaultSettings {
  for (const [kind, rate] of Object.entries(settings)) {
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw new SimulatorError('FW_SIM_OPTIONS_INVALID', `unknown fault '${kind}'`);
    const probability = kind !== 'drops';
    if (typeof rate !== 'number' || !(rate >= 0) || (probability && rate > 1)) {
      throw new SimulatorError('FW_SIM_OPTIONS_INVALID', `fault ${kind}: rate must be ${probability ? 'in 0–1' : '≥ 0'}, got ${String(rate)}`);
    }
  }
  return settings;
}
