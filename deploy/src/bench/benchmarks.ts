/**
 * The benchmarks `fleetwire bench` knows: each is a script that prints its own figure and the
 * ratio against a peer measured in the same run (the targets: docs/architecture.md, "Targets"). Paths are relative to
 * the repository root; each script documents its options in its header and `--help`.
 */
import { INGEST_NODE_FLAGS } from '@fleetwire/cloud';

export interface Benchmark {
  name: string;
  script: string;
  /** What it measures, and against which peer. */
  summary: string;
  /** Node flags the script needs (e.g. --expose-gc for memory figures). */
  nodeFlags?: readonly string[];
}

export const BENCHMARKS: readonly Benchmark[] = [
  { name: 'intake', script: 'edge/bench/intake.ts', summary: 'edge durable QoS 1 intake (MQTT → SQLite → PUBACK) vs Mosquitto passing the same load to a subscriber' },
  { name: 'fleet-memory', script: 'edge/bench/fleet-memory.ts', summary: 'edge agent memory serving 1,000 devices at 1 Hz vs Mosquitto holding the same clients and load' },
  { name: 'fleet-scale', script: 'deploy/bench/fleet-scale.ts', summary: '10,000 vehicles at 1 Hz QoS 1: rate, p50/p99 publish → PUBACK, RSS, CPU and backlog drain of the agent vs Mosquitto with the same clients' },
  { name: 'buffer-backlog', script: 'edge/bench/buffer-backlog.ts', summary: 'buffer memory from 0 to 1 M records, and drain rate vs append rate', nodeFlags: ['--expose-gc'] },
  { name: 'buffer-turns', script: 'edge/bench/buffer-turns.ts', summary: 'how long each synchronous step of the SQLite buffer (group commit, WAL checkpoint, ids prune, acknowledge, takeBatch) and GC hold the event loop at 10,000 records/s' },
  { name: 'buffer-durability', script: 'edge/bench/buffer-durability.ts', summary: 'committed appends per synchronous setting and group-commit tick vs one transaction per record' },
  { name: 'auth-under-attack', script: 'edge/bench/auth-under-attack.ts', summary: 'device logins during a wrong-password flood and a whole fleet reconnecting, vs another checkout (--baseline) in the same run' },
  { name: 'photo-verdict', script: 'edge/bench/photo-verdict.ts', summary: 'return photo upload → verdict latency and throughput vs the bare pipeline (shrink-on-load decode + both models, in process)' },
  { name: 'ingest-vs-kcat', script: 'cloud/bench/ingest-vs-kcat.ts', summary: 'cloud ingest → Kafka records/s vs kcat producing the same records straight to Kafka', nodeFlags: INGEST_NODE_FLAGS },
  { name: 'produce-encoder', script: 'cloud/bench/produce-encoder.ts', summary: "the Kafka bus's produce request encoder vs @platformatic/kafka's own, CPU µs per record (no broker)" },
  { name: 'kafka-clients', script: 'cloud/bench/kafka-clients.ts', summary: 'kafkajs vs @platformatic/kafka: keyed produce, broker restart, rebalance (docs/bus.md)' },
  { name: 'service-restore', script: 'cloud/bench/service-restore.ts', summary: 'fleet state service ready after a restart from its checkpoints vs a full replay of the same bus (1 M records)' },
  { name: 'tsdb-sink', script: 'cloud/bench/tsdb-sink.ts', summary: 'time-series sink points/s vs a bare InfluxDB client write' },
  { name: 'validate', script: 'protocol/bench/validate.bench.ts', summary: 'device message validation/s vs bare JSON.parse of the same bytes' },
];

export function findBenchmark(name: string): Benchmark | undefined {
  return BENCHMARKS.find((benchmark) => benchmark.name === name);
}
