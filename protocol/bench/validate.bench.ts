/**
 * Micro-benchmark of the intake hot path: `node --import tsx protocol/bench/validate.bench.ts [seconds = 2]`.
 * Prints validations/s of decodeDeviceMessage and, as a same-run peer, of bare JSON.parse on
 * the same bytes (the ratio holds across noisy machines; absolute figures don't); then the same
 * decode followed by the physics checks against the device's last plausible reading, and the
 * physics' share of the two.
 */
import {
  DEFAULT_PLAUSIBILITY_LIMITS,
  decodeDeviceMessage,
  judgeReading,
  readingClock,
  vehicleQuantities,
  type DeviceMessageInput,
  type Tracks,
} from '../src/index.js';
import { FIXTURE_TIME, toPayloadBytes, vehicleTelemetryFixture } from '../test/support/fixtures.js';

const USAGE = 'node --import tsx protocol/bench/validate.bench.ts [seconds = 2]';
const argument = process.argv[2];
if (argument === '--help' || argument === '-h') {
  console.log(USAGE);
  process.exit(0);
}
const seconds = Number(argument ?? 2);
if (!(seconds > 0)) {
  console.error(`seconds must be a positive number, got ${JSON.stringify(argument)}\n\n${USAGE}`);
  process.exit(2);
}

const inputs: DeviceMessageInput[] = Array.from({ length: 1000 }, (_, seq) => ({
  topic: 'fleetwire/v1/vehicle/VH-0001/telemetry',
  bytes: toPayloadBytes(vehicleTelemetryFixture({ seq, socPct: 90 - seq * 0.01, odometerKm: 12_000 + seq * 0.01, ts: FIXTURE_TIME + seq * 1000 })),
  identity: { role: 'device', kind: 'vehicle', deviceId: 'VH-0001' },
  receivedAt: FIXTURE_TIME + seq * 1000 + 50,
  maxBytes: 16_384,
  maxClockSkewMs: 60_000,
}));

/** Runs of one case: `rounds` alternating windows, so load changes on a shared machine hit every case alike. */
function rate(run: (input: DeviceMessageInput) => boolean, windowMs: number): { perSecond: number; failures: number } {
  let count = 0;
  let failures = 0;
  const start = performance.now();
  const deadline = start + windowMs;
  while (performance.now() < deadline) {
    for (let i = 0; i < inputs.length; i++) if (!run(inputs[i]!)) failures++;
    count += inputs.length;
  }
  return { perSecond: count / ((performance.now() - start) / 1000), failures };
}

function measureAll(cases: Record<string, (input: DeviceMessageInput) => boolean>): Record<string, number> {
  const ROUNDS = 7;
  const names = Object.keys(cases);
  for (const name of names) for (let i = 0; i < 20_000; i++) cases[name]!(inputs[i % inputs.length]!);
  const rates: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  let failures = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) {
      const result = rate(cases[name]!, (seconds * 1000) / ROUNDS);
      rates[name]!.push(result.perSecond);
      failures += result.failures;
    }
  }
  if (failures > 0) console.log(`(${failures} failed!)`);
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const medians: Record<string, number> = {};
  for (const name of names) {
    medians[name] = median(rates[name]!);
    console.log(`${name.padEnd(28)} ${Math.round(medians[name]!).toLocaleString('en-US').padStart(12)} /s (median of ${ROUNDS} alternating windows)`);
  }
  return medians;
}

// One device's readings in order, as the intake judges them; the tracks restart each lap so
// every lap sees the same sequence (1,000 readings, 1 s apart).
let tracks: Tracks = {};
const rates = measureAll({
  decodeDeviceMessage: (input) => decodeDeviceMessage(input).ok,
  'JSON.parse (peer)': (input) => JSON.parse(Buffer.from(input.bytes).toString('utf8')) !== null,
  'decode + physics': (input) => {
    if (input === inputs[0]) tracks = {};
    const verdict = decodeDeviceMessage(input);
    if (!verdict.ok) return false;
    const [reading] = verdict.value.readings;
    if (!reading?.ok || reading.record.kind !== 'vehicle_telemetry') return false;
    const physics = judgeReading(tracks, vehicleQuantities(reading.record.payload, readingClock(reading.record)), DEFAULT_PLAUSIBILITY_LIMITS);
    tracks = physics.tracks;
    return physics.ok;
  },
});
const decode = rates['decodeDeviceMessage']!;
const judged = rates['decode + physics']!;
console.log(`ratio decode / JSON.parse: ${(decode / rates['JSON.parse (peer)']!).toFixed(2)} (payload ${inputs[0]!.bytes.length} bytes)`);
const physicsUs = 1e6 / judged - 1e6 / decode;
console.log(`physics: ${physicsUs.toFixed(2)} µs per reading, ${((100 * physicsUs * judged) / 1e6).toFixed(1)} % of decode + physics`);
