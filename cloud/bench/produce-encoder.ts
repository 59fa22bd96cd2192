/**
 * The Kafka bus's produce request encoder (`encodeProduceRequest`, docs/bus.md) against
 * @platformatic/kafka's own Produce v11 encoder, on the same messages in the same run: CPU µs
 * per record and the ratio. No broker; both request bodies are concatenated behind a request
 * header as the client's connection does, and the message objects are made afresh for every
 * request on both sides (that cost is printed on its own).
 *
 *   npx tsx cloud/bench/produce-encoder.ts [--records 2000] [--bytes 515] [--partitions 6] [--requests 100] [--rounds 2]
 */
import { parseArgs } from 'node:util';
import { produceV11, Writer } from '@platformatic/kafka';
import { encodeProduceRequest, type EncodableMessage, type EncodeOptions } from '../src/bus/kafka/produce-request.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '2000' },
    bytes: { type: 'string', default: '515' },
    partitions: { type: 'string', default: '6' },
    requests: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '2' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`Usage: npx tsx cloud/bench/produce-encoder.ts [options]

encodeProduceRequest vs @platformatic/kafka's Produce v11 encoder, same messages, in this process.

  --records N     records per request (default 2000)
  --bytes N       bytes per record value (default 515, the ingest bench's telemetry lines)
  --partitions N  partitions the records are spread over (default 6)
  --requests N    timed requests per side and round (default 100)
  --rounds N      rounds, the order alternating (default 2)`);
  process.exit(0);
}
const RECORDS = Number(args.records);
const PARTITIONS = Number(args.partitions);
const value = Buffer.alloc(Number(args.bytes), 'x');

/** What the client hands the Produce API: serialized key, value and headers, partition assigned. */
function messages(): EncodableMessage[] {
  return Array.from({ length: RECORDS }, (_, i) => ({
    topic: 'fleetwire.telemetry.vehicle',
    partition: i % PARTITIONS,
    key: Buffer.from(`VH-${i % 1000}`),
    value,
    headers: new Map([
      [Buffer.from('fw-id'), Buffer.from(`VH-${i % 1000}:e:${i}`)],
      [Buffer.from('fw-kind'), Buffer.from('vehicle_telemetry')],
      [Buffer.from('fw-schema'), Buffer.from('vehicle_telemetry.v1')],
    ]),
  }));
}

const options: EncodeOptions = { producerId: 5n, producerEpoch: 0, sequences: { getWithDefault: (_key, fallback) => fallback } };
type ClientEncoder = (acks: number, timeout: number, messages: EncodableMessage[], options: EncodeOptions) => Writer;

/** The request as the connection sends it: a header, then the body, in one buffer. */
const framed = (body: Writer): number => Writer.create().appendInt32(0).appendFrom(body).buffer.length;
const sides: Record<string, () => number> = {
  'messages only': () => messages().length,
  '@platformatic/kafka encoder': () => framed((produceV11.createRequest as ClientEncoder)(-1, 30_000, messages(), options)),
  encodeProduceRequest: () => framed(Writer.create().append(encodeProduceRequest(-1, 30_000, messages(), options))),
};

function cpuMicrosPerRecord(work: () => number): number {
  for (let i = 0; i < 10; i++) work();
  const started = process.cpuUsage();
  for (let i = 0; i < Number(args.requests); i++) work();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / (Number(args.requests) * RECORDS);
}

console.log(`${RECORDS} records of ${value.length} bytes per request, ${PARTITIONS} partitions, 3 headers each; node ${process.version}`);
for (let round = 0; round < Number(args.rounds); round++) {
  const order = round % 2 === 0 ? Object.keys(sides) : Object.keys(sides).reverse();
  const micros = Object.fromEntries(order.map((name) => [name, cpuMicrosPerRecord(sides[name] as () => number)]));
  const base = micros['messages only'] as number;
  const client = (micros['@platformatic/kafka encoder'] as number) - base;
  const lean = (micros.encodeProduceRequest as number) - base;
  console.log(`round ${round + 1}: ${order.map((name) => `${name} ${(micros[name] as number).toFixed(2)} µs`).join(', ')} per record; ` +
    `encoding alone: client ${client.toFixed(2)} µs, encodeProduceRequest ${lean.toFixed(2)} µs, ratio ${(client / lean).toFixed(1)}×`);
}
