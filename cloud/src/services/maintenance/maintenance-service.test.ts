import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUS_TOPICS, fromBusValue, toBusMessage, type EventRecord } from '@fleetwire/protocol';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus, DeliveredMessage, Subscription } from '../../bus/bus.js';
import { createEmbeddedBus } from '../../bus/embedded/index.js';
import { createMaintenanceService, type MaintenanceService } from './maintenance-service.js';
import { parkedReadings } from '../../../test/support/maintenance-readings.js';

let dir = '';
let bus: Bus;
const running: Array<MaintenanceService | Subscription> = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fw-maintenance-'));
  bus = createEmbeddedBus({ kind: 'embedded', path: join(dir, 'bus.sqlite'), retryInitialMs: 10 });
});
afterEach(async () => {
  for (const r of running.splice(0)) await ('stop' in r ? r.stop() : r.close());
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

const metricValue = async (registry: Registry, name: string, labels: Record<string, string> = {}) =>
  (await registry.getSingleMetric(name)?.get())?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;

async function started(metrics = new Registry()): Promise<MaintenanceService> {
  const service = createMaintenanceService({ bus, metrics, logger: pino({ level: 'silent' }), now: () => 1_800_000_000_000 });
  await service.start();
  running.push(service);
  return service;
}

/** Every MaintenanceRequired on the events topic, as the dashboard's consumers would see them. */
async function watchEvents(): Promise<EventRecord[]> {
  const seen: EventRecord[] = [];
  const subscription = await bus.subscribe({
    groupId: `watch-${Math.random()}`, topics: [BUS_TOPICS.events], fromBeginning: true,
    handle: async (batch: DeliveredMessage[]) => {
      for (const m of batch) {
        const verdict = fromBusValue(m.value);
        if (verdict.ok && verdict.value.kind === 'event' && verdict.value.payload.type === 'MaintenanceRequired') seen.push(verdict.value);
      }
    },
  });
  running.push(subscription);
  return seen;
}

describe('maintenance service over the embedded bus', () => {
  const leaking = parkedReadings('VH-1', 4, { leak: { tyre: 'rl', kpaPerDay: 8 } });

  it('turns telemetry into one MaintenanceRequired on the events topic, with the finding as data', async () => {
    const events = await watchEvents();
    const metrics = new Registry();
    const service = await started(metrics);
    await expect.poll(() => service.ready()).toBe(true);
    await bus.produce(leaking.map((r) => toBusMessage(r)));
    await expect.poll(() => events.length, { timeout: 10_000 }).toBe(1);
    const [event] = events;
    expect(event).toMatchObject({ kind: 'event', source: { kind: 'cloud', id: 'maintenance' }, receivedAt: 1_800_000_000_000 });
    expect(event?.payload).toMatchObject({
      type: 'MaintenanceRequired', source: 'cloud:maintenance', subject: { kind: 'vehicle', id: 'VH-1' },
      data: { component: 'tyre_rl', reason: 'tyre_pressure_low', severity: 'medium' },
    });
    expect(event?.id).toMatch(/^maintenance:[0-9a-f]{32}:\d+$/);
    expect(await metricValue(metrics, 'fleetwire_maintenance_events_emitted_total', { reason: 'tyre_pressure_low' })).toBe(1);
    expect(await metricValue(metrics, 'fleetwire_maintenance_records_seen_total', { kind: 'vehicle_telemetry' })).toBe(leaking.length);
    expect(await metricValue(metrics, 'fleetwire_maintenance_predictions_total', { reason: 'tyre_pressure_low', verdict: 'due' })).toBeGreaterThan(0);
  });

  it('emits one event when the same records are delivered twice, and skips values that do not decode', async () => {
    const events = await watchEvents();
    const metrics = new Registry();
    await started(metrics);
    const broken = { ...leaking[0], payload: { ...leaking[0]?.payload, tyresKpa: 'flat' } };
    await bus.produce([
      ...leaking.map((r) => toBusMessage(r)),
      { topic: BUS_TOPICS.vehicleTelemetry, key: 'VH-1', value: Buffer.from(JSON.stringify(broken)), headers: {} },
      ...leaking.map((r) => toBusMessage(r)),
    ]);
    await expect.poll(() => metricValue(metrics, 'fleetwire_maintenance_records_seen_total', { kind: 'vehicle_telemetry' }), { timeout: 10_000 }).toBe(2 * leaking.length);
    expect(await metricValue(metrics, 'fleetwire_maintenance_records_skipped_total', { reason: 'schema_violation' })).toBe(1);
    await expect.poll(() => events.length).toBe(1);
  });

  it('resumes from its checkpoints after a restart: replays nothing and raises no standing finding again', async () => {
    const events = await watchEvents();
    await bus.produce(leaking.map((r) => toBusMessage(r)));
    const first = await started();
    await expect.poll(() => events.length, { timeout: 10_000 }).toBe(1);
    await first.stop();
    const metrics = new Registry();
    const second = await started(metrics);
    await expect.poll(() => second.ready(), { timeout: 10_000 }).toBe(true);
    await bus.produce(leaking.map((r) => toBusMessage(r)));
    // The same readings again: seen, and the finding stands — no second event.
    await expect.poll(() => metricValue(metrics, 'fleetwire_maintenance_records_seen_total', { kind: 'vehicle_telemetry' }), { timeout: 10_000 }).toBe(leaking.length);
    expect(await metricValue(metrics, 'fleetwire_maintenance_events_emitted_total', { reason: 'tyre_pressure_low' })).toBe(0);
    expect(new Set(events.map((e) => e.id)).size).toBe(1);
  });

  it('does nothing when disabled', async () => {
    const service = createMaintenanceService({ bus, metrics: new Registry(), logger: pino({ level: 'silent' }), enabled: false });
    await service.start();
    running.push(service);
    expect(await service.ready()).toBe(true);
  });
});
