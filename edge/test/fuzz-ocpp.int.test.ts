/**
 * Fuzzing the agent's OCPP-J endpoint (property-based, fast-check, fixed seed): mutated CALL and
 * CALLRESULT frames sent as WebSocket text frames by a charger that authenticated, each followed
 * by a probe call on the same connection and by a valid StatusNotification from another charger
 * speaking through ocpp-rpc. The agent must stay up, answer or hang up (never crash), commit and
 * deliver every valid call, and count the frames it refused.
 */
import fc from 'fast-check';
import { RPCClient } from 'ocpp-rpc';
import { fuzzPlan, fuzzTimeout, mutatedSample, runParameters } from '@fleetwire/protocol/testing/fuzz';
import { WebSocket } from 'ws';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AgentProcess } from './support/agent-process.js';
import { readMetric, tempDir, waitFor, writeRegistry, type TestDevice } from './support/fleet.js';
import { agentTestBed } from './support/test-bed.js';

/** The suite's seed and count (FLEETWIRE_FUZZ_SEED / FLEETWIRE_FUZZ_RUNS override them: docs/security.md, "Fuzzing in CI"). */
const FRAMES = fuzzPlan('ocpp-frames', { seed: 1507, runs: 60 });

const TOKEN = 'node-token-fuzz-ocpp';
const bed = agentTestBed(TOKEN);
const GOOD: TestDevice = { id: 'CH-OK000', kind: 'charger', password: 'ocpp-good-secret' };
const FUZZER: TestDevice = { id: 'CH-FZ000', kind: 'charger', password: 'ocpp-fuzz-secret' };
const NOW = Date.now();
const at = (secondsAgo: number): string => new Date(NOW - secondsAgo * 1000).toISOString();
let agent: AgentProcess;

beforeAll(async () => {
  const dir = tempDir('fuzz-ocpp');
  agent = await bed.startAgent(
    {
      nodeId: 'node-fuzz-ocpp',
      dataDir: 'data',
      devices: { registryFile: await writeRegistry(dir, [GOOD, FUZZER]) },
      mqtt: { host: '127.0.0.1', port: 0 },
      http: { host: '127.0.0.1', port: 0 },
      cloud: { url: bed.receiver.url, token: TOKEN },
      uplink: { baseBackoffMs: 50, maxBackoffMs: 300 },
      ocpp: { enabled: true, host: '127.0.0.1', port: 0, idTagKey: 'fuzz-key-for-id-tags-0123456789', authorize: { policy: 'accept' } },
    },
    dir,
  );
});

/** Valid frames of the fuzzing charger, the seeds of the mutations. */
const SAMPLES = [
  [2, 'fz-1', 'StatusNotification', { connectorId: 2, errorCode: 'NoError', status: 'Charging', timestamp: at(3600) }],
  [2, 'fz-2', 'MeterValues', { connectorId: 2, meterValue: [{ timestamp: at(3500), sampledValue: [{ value: '1200', measurand: 'Energy.Active.Import.Register', unit: 'Wh' }] }] }],
  [2, 'fz-3', 'StartTransaction', { connectorId: 2, idTag: 'RFID-FZ', meterStart: 1000, timestamp: at(3400) }],
  [2, 'fz-4', 'BootNotification', { chargePointVendor: 'Acme', chargePointModel: 'Wallbox 22' }],
  [2, 'fz-5', 'Heartbeat', {}],
  [3, 'fz-6', { currentTime: at(0) }],
].map((frame) => Buffer.from(JSON.stringify(frame)));

/** A raw WebSocket of the fuzzing charger: sends any bytes as a text frame, then a probe call. */
async function openFuzzer(): Promise<WebSocket> {
  const basic = Buffer.from(`${FUZZER.id}:${FUZZER.password}`).toString('base64');
  const socket = new WebSocket(`${agent.addresses.ocpp}/${FUZZER.id}`, ['ocpp1.6'], { headers: { authorization: `Basic ${basic}` } });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('close', (code) => reject(new Error(`fuzzing charger refused: ${code}`)));
  });
  return socket;
}

/** Sends the frame and a Heartbeat probe; resolves 'answered' once the probe is answered, 'closed' if the agent hung up. */
function sendWithProbe(socket: WebSocket, frame: Buffer, probeId: string): Promise<'answered' | 'closed'> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer): void => {
      const message = JSON.parse(data.toString()) as unknown[];
      if (message[1] === probeId) finish('answered');
    };
    const onClose = (): void => finish('closed');
    const finish = (outcome: 'answered' | 'closed'): void => {
      socket.off('message', onMessage);
      socket.off('close', onClose);
      resolve(outcome);
    };
    socket.on('message', onMessage);
    socket.on('close', onClose);
    socket.send(frame, { binary: false });
    socket.send(JSON.stringify([2, probeId, 'Heartbeat', {}]));
  });
}

const isUtf8 = (bytes: Buffer): boolean => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};
const isJson = (bytes: Buffer): boolean => {
  try {
    JSON.parse(bytes.toString());
    return true;
  } catch {
    return false;
  }
};

describe('edge OCPP-J endpoint under fuzzing', () => {
  it('survives mutated frames, keeps answering, and commits and delivers every valid call sent between them', async () => {
    const good = new RPCClient({ endpoint: agent.addresses.ocpp, identity: GOOD.id, password: GOOD.password, protocols: ['ocpp1.6'], strictMode: true, reconnect: false } as unknown as ConstructorParameters<typeof RPCClient>[0]);
    await good.connect();
    const http = agent.addresses.http as string;
    const rejectedBefore = await readMetric(http, 'fleetwire_intake_rejected_total');
    let fuzzer = await openFuzzer();
    const sent: Buffer[] = [];
    const goodTimes: string[] = [];
    const outcomes = { answered: 0, closed: 0 };
    await fc.assert(
      fc.asyncProperty(mutatedSample(SAMPLES), async (frame) => {
        if (fuzzer.readyState !== WebSocket.OPEN) fuzzer = await openFuzzer();
        sent.push(frame);
        outcomes[await sendWithProbe(fuzzer, frame, `probe-${sent.length}`)] += 1;
        const timestamp = at(goodTimes.length);
        await good.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: goodTimes.length % 2 === 0 ? 'Available' : 'Preparing', timestamp });
        goodTimes.push(timestamp);
      }),
      runParameters(FRAMES),
    );
    console.log(`fuzz ocpp-frames: ${outcomes.answered} probes answered, ${outcomes.closed} connections closed by the agent (frames that are not UTF-8)`);
    fuzzer.close();
    await good.close();

    expect(agent.child.exitCode).toBeNull();
    expect((await fetch(`${http}/readyz`)).status).toBe(200);
    const deliveredTimes = (): number[] => bed.receiver.records.filter((r) => r.source.id === GOOD.id && r.kind === 'charger_telemetry').map((r) => r.deviceTime);
    await waitFor(() => goodTimes.every((time) => deliveredTimes().includes(Date.parse(time))), 20_000, 'every valid StatusNotification at the receiver');
    // Every frame that reached ocpp-rpc (valid UTF-8: the WebSocket closes with 1007 on the
    // others) and is not JSON is refused and counted; an empty one it ignores, as some chargers send them.
    const notJson = sent.filter((frame) => frame.length > 0 && isUtf8(frame) && !isJson(frame)).length;
    const rejected = (await readMetric(http, 'fleetwire_intake_rejected_total')) - rejectedBefore;
    expect(rejected).toBeGreaterThanOrEqual(notJson);
    expect(await readMetric(http, 'fleetwire_intake_rejected_total', { reason: 'malformed_json' })).toBeGreaterThanOrEqual(notJson);
  }, fuzzTimeout(FRAMES, 1000));
});
