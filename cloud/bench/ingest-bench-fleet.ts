/**
 * The edge side of the ingest benchmark: vehicle telemetry records, cut into edge batches
 * (protocol `encodeBatch`: gzip NDJSON, the uplink's default 500 records) per edge node, and a
 * fleet of nodes that each send their batches one at a time, as the uplink does, re-sending a
 * batch the cloud answered 429/503 after its Retry-After.
 */
import { BATCH_PATH, encodeBatch, type VehicleTelemetryRecord } from '@fleetwire/protocol';
import { FIXTURE_TIME, vehicleRecordFixture } from '@fleetwire/protocol/testing';

export interface BenchNode {
  id: string;
  token: string;
}

export interface EdgeBatch {
  node: BenchNode;
  count: number;
  body: Buffer;
  headers: Record<string, string>;
}

export function deviceIdOf(n: number): string {
  return `VH-${String(n).padStart(5, '0')}`;
}

/** `count` records over `devices` vehicles, sequence numbers rising per vehicle; `epoch` keeps ids unique per round. */
export function vehicleRecords(count: number, devices: number, epoch: string): VehicleTelemetryRecord[] {
  const base = vehicleRecordFixture();
  return Array.from({ length: count }, (_, i) => {
    const deviceId = deviceIdOf(i % devices);
    const seq = Math.floor(i / devices);
    const time = FIXTURE_TIME + seq * 1000;
    return {
      ...base,
      id: `${deviceId}:${epoch}:${seq}`,
      source: { kind: 'vehicle', id: deviceId },
      deviceTime: time,
      receivedAt: time + 50,
      payload: { ...base.payload, deviceId, epoch, seq, ts: time, socPct: 50 + (seq % 50), speedKph: i % 120 },
    };
  });
}

/** Vehicle n belongs to node n mod nodes; each node's records go out in batches of `batchSize`, in order. */
export function edgeBatches(records: readonly VehicleTelemetryRecord[], nodes: readonly BenchNode[], batchSize: number): EdgeBatch[][] {
  const perNode = nodes.map(() => [] as VehicleTelemetryRecord[]);
  for (const record of records) {
    const n = Number(record.source.id.slice(3));
    perNode[n % nodes.length]?.push(record);
  }
  return nodes.map((node, i) => {
    const mine = perNode[i] ?? [];
    const batches: EdgeBatch[] = [];
    for (let at = 0; at < mine.length; at += batchSize) {
      const slice = mine.slice(at, at + batchSize);
      const { body, headers } = encodeBatch({ nodeId: node.id, createdAt: FIXTURE_TIME, records: slice });
      batches.push({ node, count: slice.length, body, headers: { ...headers, authorization: `Bearer ${node.token}` } });
    }
    return batches;
  });
}

export interface FleetResult {
  accepted: number;
  /** Answers 429/503 that made a node wait and re-send. */
  retries: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every node sends its batches in order, one in flight per node; resolves when all were answered 2xx. */
export async function sendFleet(cloudAddress: string, batchesPerNode: readonly EdgeBatch[][]): Promise<FleetResult> {
  const url = `${cloudAddress}${BATCH_PATH}`;
  let accepted = 0;
  let retries = 0;
  await Promise.all(batchesPerNode.map(async (batches) => {
    for (const batch of batches) {
      for (;;) {
        const response = await fetch(url, { method: 'POST', headers: batch.headers, body: batch.body });
        const text = await response.text();
        if (response.ok) {
          const answer = JSON.parse(text) as { accepted: number; rejected: unknown[] };
          if (answer.accepted !== batch.count) throw new Error(`batch of ${batch.count} answered ${text.slice(0, 300)}`);
          accepted += answer.accepted;
          break;
        }
        if (response.status !== 429 && response.status !== 503) {
          throw new Error(`ingest answered ${response.status}: ${text.slice(0, 300)}`);
        }
        retries += 1;
        await sleep(Math.min(1000, Number(response.headers.get('retry-after') ?? '0.1') * 1000));
      }
    }
  }));
  return { accepted, retries };
}
