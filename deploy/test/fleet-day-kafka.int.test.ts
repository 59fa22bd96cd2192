/**
 * The simulated fleet day of fleet-day.int.test.ts (support/fleet-day.ts runs it) with the cloud
 * on the test servers' Kafka instead of its embedded log, under topics of its own
 * (`topics.prefix` unique per run, deleted afterwards). Every core event of the design is read
 * back from Kafka with a plain kafkajs consumer, the demand spike at the surge site among them.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUS_TOPICS, type EventRecord } from '@fleetwire/protocol';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runFleetDay, type FleetDay } from './support/fleet-day.js';
import { CORE_EVENTS, countsByType, ofType } from './support/fleet-day-findings.js';
import { deleteTopicsUnder, eventsOnKafka } from './support/fleet-readback.js';

const dir = mkdtempSync(join(tmpdir(), 'fleetwire-fleet-day-kafka-'));
const brokers = inject('kafkaBrokers');
const prefix = `fleet-day-${randomUUID().slice(0, 8)}.`;
let events: EventRecord[] = [];
let day: FleetDay;

beforeAll(async () => {
  day = await runFleetDay({ dir, bus: { kind: 'kafka', brokers, topics: { prefix } } });
  events = await eventsOnKafka(brokers, `${prefix}${BUS_TOPICS.events}`);
  console.log(`fleet day on Kafka: ${events.length} events on ${prefix}${BUS_TOPICS.events}: ${countsByType(events)}`);
}, 240_000);

afterAll(async () => {
  await deleteTopicsUnder(brokers, prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe('a simulated fleet day on Kafka', () => {
  it('puts every core event of the design on Kafka', () => {
    const present = new Set(events.map((e) => e.payload.type));
    expect(CORE_EVENTS.filter((type) => !present.has(type))).toEqual([]);
  });

  it('has every booking the backend made on Kafka once, and spikes only at the surge site', () => {
    expect(new Set(ofType(events, 'VehicleBooked').map((e) => e.data.bookingId)).size).toBe(day.backend.stats().booking.accepted);
    const spikes = ofType(events, 'DemandSpike').map((e) => e.data);
    expect(spikes.length).toBeGreaterThan(0);
    expect(spikes.filter((s) => s.siteId !== day.surge.siteId)).toEqual([]);
  });
});
