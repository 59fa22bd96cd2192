/**
 * Micro-benchmark of the intake hot path: `node --import tsx protocol/bench/validate.bench.ts [seconds = 2]`.
 * Prints validations/s of decodeDeviceMessage and, as a same-run peer, of bare JSON.parse on
 * the same bytes (the ratio holds across noisy machines; absolute figures don't).
 */
import { decodeDeviceMessage, type DeviceMessageInput } from '../src/index.js';
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
  bytes: toPayloadBytes(vehicleTelemetryFixture({ seq, socPct: 50 + (seq % 50), ts: FIXTURE_TIME + seq * 1000 })),
  identity: { role: 'device', kind: 'vehicle', deviceId: 'VH-0001' },
  receivedAt: FIXTURE_TIME + seq * 1000 + 50,
  maxBytes: 16_384,
  maxClockSkewMs: 60_000,
}));

function measure(name: string, run: (input: DeviceMessageInput) => boolean): number {
  for (let i = 0; i < 20_000; i++) run(inputs[i % inputs.length]!);
  let count = 0;
  let failures = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < inputs.length; i++) if (!run(inputs[i]!)) failures++;
    count += inputs.length;
  }
  const perSecond = count / ((performance.now() - start) / 1000);
  console.log(`${name.padEnd(28)} ${Math.round(perSecond).toLocaleString('en-US').padStart(12)} /s${failures ? ` (${failures} failed!)` : ''}`);
  return perSecond;
}

const decode = measure('decodeDeviceMessage', (input) => decodeDeviceMessage(input).ok);
const parse = measure('JSON.parse (peer)', (input) => JSON.parse(Buffer.from(input.bytes).toString('utf8')) !== null);
console.log(`ratio decode / JSON.parse: ${(decode / parse).toFixed(2)} (payload ${inputs[0]!.bytes.length} bytes)`);
