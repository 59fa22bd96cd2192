/**
 * Photo verdict benchmark (not a test): upload → verdict through the real HTTP route of a real
 * agent process, against the bare pipeline the work requires, in this process: each JPEG decoded
 * straight to the models' input size (sharp: EXIF orientation, libvips shrink-on-load and
 * resize, as the agent decodes) and both ONNX models run on it — no HTTP, no storage, no checks.
 * Same photos, same machine, same run. The two sides alternate return by return (the first of
 * each pair alternating too), and throughput runs in `--rounds` alternating batches: on a shared
 * machine whose load swings within seconds, round-sized blocks measured one side's luck.
 * Usage: see USAGE below (`--help`). Results and their reading: docs/edge.md, "Benchmark: photo
 * verdict vs the bare pipeline".
 *
 * Each return is `--photos` distinct simulator photos (JPEG with EXIF and an sRGB profile) under
 * a fresh return id, so every upload is verified in full (no replay, no re-use fraud). The agent
 * runs as in production: buffer synchronous=full (the events' commit is fsynced), photos
 * fsynced to disk, uplink off. Latency is per return (all its photos), sequential uploads;
 * throughput runs `--concurrency` uploads at once (the agent's default maxActiveReturns is 2).
 * The bare side decodes a return's photos side by side (libvips works off the event loop) and
 * runs both models on each as soon as it is decoded (onnxruntime-node runs a session
 * synchronously on the event loop); latency per return, throughput with `--concurrency`
 * returns at once, like the uploads. Each throughput batch also reports the CPU each side used
 * per photo (from /proc: the agent plus this process as its client, against this process alone
 * for the bare side) and the load average: on a shared machine a throughput ratio is noisy, a
 * CPU cost per photo much less so.
 */
import sharp from 'sharp';
import { spawn, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { generateReturnKeyPair, issueReturnToken } from '../src/vision/upload/return-token.js';
import { writeReturnKeys } from '../test/support/photo-upload.js';
import { MODEL_VARIANTS, type ModelVariant } from '../src/vision/models/model-card.js';
import { selectModels } from '../src/vision/models/model-selection.js';
import { loadReturnModels, type ReturnModels } from '../src/vision/models/models.js';
import { rgbTensor } from '../src/vision/photos/photo-pixels.js';
import type { ModelInputSize } from '../src/vision/photos/preprocess.js';
import { returnPhotos, SITE } from '../test/support/photos.js';
import { AGENT_ENTRY, startAgentProcess } from '../test/support/agent-process.js';
import { connectDevice, readMetric, telemetryTopic, tempDir, vehiclePayload, vehicles, writeRegistry } from '../test/support/fleet.js';
import { benchOptions } from './bench-options.js';

const USAGE = `node --import tsx edge/bench/photo-verdict.ts [--returns 20] [--photos 4] [--width 1024]
     [--height 768] [--rounds 3] [--concurrency 2] [--threads 1] [--variant float32|int8] [--perf <file>]
  --returns      returns per round (each of --photos distinct photos)
  --width/height size of the generated photos (the models take 256x192)
  --rounds       rounds of --returns, each side's returns alternating; as many throughput batches
  --concurrency  uploads (and bare returns) at once in the throughput part
  --threads      onnxruntime intra-op threads, for the agent (vision.models.threads) and the bare side
  --variant      the models from the card: float32 or their INT8 quantisation (vision.models.variant)
  --perf         record with Linux perf, in the throughput part only: the agent during the upload
                 batches into this file (native and JS frames), this process during the bare
                 batches into <file>.bare (read them with perf report -i <file>)`;

const values = benchOptions(USAGE, { returns: '20', photos: '4', width: '1024', height: '768', rounds: '3', concurrency: '2', threads: '1', variant: 'float32', perf: '' });
if (!(MODEL_VARIANTS as readonly string[]).includes(values.variant)) {
  console.error(`--variant must be one of ${MODEL_VARIANTS.join(', ')}, got ${JSON.stringify(values.variant)}\n\n${USAGE}`);
  process.exit(2);
}
const VARIANT = values.variant as ModelVariant;
const THREADS = Number(values.threads);
const RETURNS = Number(values.returns);
const PHOTOS = Number(values.photos);
const ROUNDS = Number(values.rounds);
const CONCURRENCY = Number(values.concurrency);
const SIZE = { width: Number(values.width), height: Number(values.height) };
const PERF = values.perf;
const KEYS = await generateReturnKeyPair('bench');

const percentile = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
};
const ms = (x: number): string => `${x.toFixed(1)} ms`;

interface Side { latencies: number[]; photosPerS: number }

/** Verdicts and their reasons over all uploads: the workload should be the ordinary path. */
const verdicts = new Map<string, number>();
const count = (key: string): void => void verdicts.set(key, (verdicts.get(key) ?? 0) + 1);

interface Upload { returnId: string; token: string; body: Buffer; contentType: string }

/**
 * The request of one return, token signed and multipart body encoded before any clock starts:
 * the app's work, not the agent's. (Until the fifth session `fetch` encoded the FormData inside
 * the clock, ~1.9 ms of the client's CPU per photo on the cores the agent and the peer share.)
 */
async function uploadRequest(photos: Buffer[], returnId: string, vehicleId: string): Promise<Upload> {
  const form = new FormData();
  for (const [p, bytes] of photos.entries()) form.append('photo', new Blob([bytes], { type: 'image/jpeg' }), `side-${p}.jpg`);
  const encoded = new Response(form);
  const body = Buffer.from(await encoded.arrayBuffer());
  const token = await issueReturnToken(KEYS.privateKey, { returnId, bookingId: `BK-${returnId}`, vehicleId, exp: Math.floor(Date.now() / 1000) + 3600 });
  return { returnId, token, body, contentType: encoded.headers.get('content-type') as string };
}

/** Upload → verdict of one return, ms. */
async function upload(url: string, { returnId, token, body, contentType }: Upload): Promise<number> {
  const t0 = performance.now();
  const response = await fetch(`${url}/v1/returns/${returnId}/photos`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body });
  const answer = (await response.json()) as { verdict?: string; reasons?: string[]; reason?: string };
  const took = performance.now() - t0;
  if (response.status !== 200) throw new Error(`upload ${returnId}: ${response.status} ${JSON.stringify(answer)}`);
  count(answer.verdict as string);
  for (const reason of answer.reasons ?? []) count(`  ${reason}`);
  return took;
}

function uploadRequests(returns: Buffer[][], round: string, vehicleId: string): Promise<Upload[]> {
  return Promise.all(returns.map((photos, i) => uploadRequest(photos, `RT-${round}-${i}`, vehicleId)));
}

function uploadAll(url: string, requests: Upload[], concurrency: number): Promise<Side> {
  return timed(requests.length, concurrency, (i) => upload(url, requests[i] as Upload));
}

/** `count` jobs, `concurrency` at a time: each job's ms, and photos per second over all. */
async function timed(count: number, concurrency: number, job: (i: number) => Promise<number>): Promise<Side> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) latencies.push(await job(next++));
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, photosPerS: (count * PHOTOS) / ((performance.now() - started) / 1000) };
}

/** The floor: JPEG → model-size RGB in one shrink-on-load decode → tensor → both models. */
async function barePhoto(models: ReturnModels, jpeg: Buffer, size: ModelInputSize): Promise<void> {
  const data = await sharp(jpeg).rotate().resize(size.width, size.height, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  const tensor = rgbTensor({ data: new Uint8Array(data.buffer, data.byteOffset, data.length), ...size });
  await Promise.all([models.damage.run(tensor), models.screen.run(tensor)]);
}

/** The bare pipeline on one return's photos side by side, ms. */
async function bareReturn(models: ReturnModels, photos: Buffer[]): Promise<number> {
  const t0 = performance.now();
  await Promise.all(photos.map((jpeg) => barePhoto(models, jpeg, models.damage.inputSize)));
  return performance.now() - t0;
}

function bareAll(models: ReturnModels, returns: Buffer[][], concurrency: number): Promise<Side> {
  return timed(returns.length, concurrency, (i) => bareReturn(models, returns[i] as Buffer[]));
}

async function stageMeans(url: string): Promise<string> {
  const parts: string[] = [];
  for (const stage of ['prepare', 'infer', 'commit']) {
    const sum = await readMetric(url, 'fleetwire_vision_stage_seconds_sum', { stage });
    const count = await readMetric(url, 'fleetwire_vision_stage_seconds_count', { stage });
    parts.push(`${stage} ${ms((sum / Math.max(1, count)) * 1000)}`);
  }
  return parts.join(', ');
}

const CLOCK_TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** utime + stime of a /proc stat line, ms. */
function statCpuMs(stat: string): number {
  // Fields after the command name (which may hold spaces): state is the first, utime the 12th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
}

/** CPU a process has used so far (ended threads included), ms. */
function processCpuMs(pid: number): number {
  return statCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/**
 * CPU each of a process's live threads has used so far, ms, summed by thread name (digits at the
 * end dropped: one pool, one name); the main thread is "event loop". Node leaves libuv's and
 * V8's worker threads named "node".
 */
function threadCpuMs(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    const name = Number(tid) === pid ? 'event loop' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[\d-]+$/, '');
    byName.set(name, (byName.get(name) ?? 0) + statCpuMs(stat));
  }
  return byName;
}

/** `perf record` attached to `pid`, sampling only between enable() and disable() (perf's control descriptor). */
function startPerf(pid: number, file: string): { enable(): void; disable(): void; stop(): Promise<void> } {
  const perf = spawn('perf', ['record', '-e', 'cpu-clock', '-F', '499', '-g', '-D', '-1', '--control', 'fd:3', '-p', String(pid), '-o', file], { stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
  const control = perf.stdio[3] as Writable;
  const exited = new Promise((resolve) => perf.once('close', resolve));
  let ended = false;
  void exited.then(() => (ended = true));
  // A profile is a diagnosis: perf ending early costs the profile, not the run.
  control.on('error', (error) => console.error(`perf (${file}) stopped: ${error.message}`));
  const send = (command: string): void => void (ended || control.write(`${command}\n`));
  return {
    enable: () => send('enable'),
    disable: () => send('disable'),
    async stop() {
      control.end();
      perf.kill('SIGINT');
      await exited;
    },
  };
}

async function main(): Promise<void> {
  const dir = tempDir('photo-bench');
  const [vehicle] = vehicles(1, 'VH-BENCH');
  const returnAreasFile = join(dir, 'return-areas.json');
  writeFileSync(returnAreasFile, JSON.stringify({ areas: [{ id: 'depot', kind: 'circle', center: SITE, radiusM: 100 }] }));
  console.log(`generating ${2 * RETURNS * ROUNDS} returns x ${PHOTOS} photos at ${SIZE.width}x${SIZE.height} ...`);
  const rounds: Buffer[][][] = [];
  for (let r = 0; r < ROUNDS; r++) {
    rounds.push(await Promise.all(Array.from({ length: RETURNS }, (_, i) => returnPhotos(10_000 + (r * RETURNS + i) * PHOTOS, PHOTOS, Date.now(), SIZE))));
  }
  const throughputPhotos: Buffer[][][] = [];
  for (let r = 0; r < ROUNDS; r++) {
    throughputPhotos.push(await Promise.all(Array.from({ length: RETURNS }, (_, i) => returnPhotos(200_000 + (r * RETURNS + i) * PHOTOS, PHOTOS, Date.now(), SIZE))));
  }
  const selection = selectModels({ damage: '', screen: '', card: '', variant: VARIANT, force: false });
  const models = await loadReturnModels({ damagePath: selection.damage.path, screenPath: selection.screen.path, threads: THREADS });
  console.log(`models ${selection.versions.damage}, ${selection.versions.screen}; ${THREADS} intra-op thread(s)`);
  const bytes = rounds.flat(2).reduce((sum, b) => sum + b.length, 0) / (RETURNS * ROUNDS * PHOTOS);
  console.log(`mean photo ${(bytes / 1024).toFixed(0)} KiB; model input ${models.damage.inputSize.width}x${models.damage.inputSize.height}`);

  const agent = await startAgentProcess({
    nodeId: 'node-bench', dataDir: 'data', logLevel: 'warn',
    devices: { registryFile: await writeRegistry(dir, [vehicle!]) },
    mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, photoApi: { host: '127.0.0.1', port: 0 },
    vision: { enabled: true, returnTokenKeysFile: writeReturnKeys(dir, [KEYS.publicKey]), returnAreasFile, models: { variant: VARIANT, threads: THREADS } },
  }, dir, 'edge.json', [process.execPath, ...(PERF === '' ? [] : ['--perf-basic-prof', '--no-logfile-per-isolate', `--logfile=${join(dir, 'v8.log')}`]), '--import', 'tsx', AGENT_ENTRY]);
  try {
    const url = agent.addresses.http as string;
    const photosUrl = agent.addresses.photos as string;
    const client = await connectDevice(agent.addresses.mqtt as string, vehicle!);
    await client.publishAsync(telemetryTopic(vehicle!), vehiclePayload(vehicle!.id, 'bench', 1, { position: SITE }), { qos: 1 });
    await client.endAsync();
    // Warm-up, on photos of its own (re-using the rounds' photos would make them fraud cases):
    // first runs allocate arenas and JIT the route.
    await bareAll(models, rounds[0]!.slice(0, 3), 1);
    const warmUp = await Promise.all(Array.from({ length: 3 }, (_, i) => returnPhotos(80_000 + i * PHOTOS, PHOTOS, Date.now(), SIZE)));
    await uploadAll(photosUrl, await uploadRequests(warmUp, 'warm', vehicle!.id), 1);

    const ratios: number[] = [];
    const all = { http: [] as number[], bare: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      const requests = await Promise.all(rounds[r]!.map((photos, i) => uploadRequest(photos, `RT-r${r}-${i}`, vehicle!.id)));
      const http = { latencies: [] as number[] };
      const bare = { latencies: [] as number[] };
      for (const [i, photos] of rounds[r]!.entries()) {
        const sides = [async () => bare.latencies.push(await bareReturn(models, photos)), async () => http.latencies.push(await upload(photosUrl, requests[i]!))];
        if (i % 2 === 1) sides.reverse();
        for (const side of sides) await side();
      }
      all.http.push(...http.latencies);
      all.bare.push(...bare.latencies);
      const ratio = percentile(http.latencies, 50) / percentile(bare.latencies, 50);
      ratios.push(ratio);
      console.log(`round ${r}: per return of ${PHOTOS} photos — upload→verdict p50 ${ms(percentile(http.latencies, 50))} p95 ${ms(percentile(http.latencies, 95))}; `
        + `bare pipeline p50 ${ms(percentile(bare.latencies, 50))} p95 ${ms(percentile(bare.latencies, 95))}; p50 ratio ${ratio.toFixed(2)}`);
    }
    console.log(`sequential, all rounds: upload→verdict p50 ${ms(percentile(all.http, 50))} p95 ${ms(percentile(all.http, 95))}; bare p50 ${ms(percentile(all.bare, 50))} p95 ${ms(percentile(all.bare, 95))}`);
    console.log(`  ratio p50 ${(percentile(all.http, 50) / percentile(all.bare, 50)).toFixed(2)} (target ≤ 1.5), p95 ${(percentile(all.http, 95) / percentile(all.bare, 95)).toFixed(2)}`);
    console.log(`  agent stage means per return: ${await stageMeans(url)}`);
    // Every verified return's photos stay on disk (retention is far away): bytes kept per photo.
    const storedBytes = await readMetric(url, 'fleetwire_vision_stored_photo_bytes');
    const storedPhotos = await readMetric(url, 'fleetwire_vision_photos_total');
    console.log(`  stored per photo ${(storedBytes / Math.max(1, storedPhotos) / 1024).toFixed(0)} KiB (uploaded ${(bytes / 1024).toFixed(0)} KiB)`);

    // Throughput in ROUNDS batches of fresh photos (uploaded photos stay known: re-used ones would
    // be fraud cases), made before the first batch so that no photo is generated between them;
    // the side going first alternating; photos/s over all batches per side.
    const agentPid = agent.child.pid as number;
    const perf = PERF === '' ? undefined : startPerf(agentPid, PERF);
    const perfBare = PERF === '' ? undefined : startPerf(process.pid, `${PERF}.bare`);
    const rates = { http: [] as number[], bare: [] as number[] };
    const cpu = { agent: 0, client: 0, bare: 0, agentThreads: new Map<string, number>(), bareThreads: new Map<string, number>() };
    const addThreads = (into: Map<string, number>, before: Map<string, number>, after: Map<string, number>): void => {
      for (const [name, ms] of after) into.set(name, (into.get(name) ?? 0) + ms - (before.get(name) ?? 0));
    };
    const batches: string[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const load = loadavg()[0] as number;
      const line: Record<string, string> = {};
      const sides = [
        async () => {
          const own = processCpuMs(process.pid);
          const threads = threadCpuMs(process.pid);
          perfBare?.enable();
          const side = await bareAll(models, throughputPhotos[r]!, CONCURRENCY);
          perfBare?.disable();
          const ms = processCpuMs(process.pid) - own;
          addThreads(cpu.bareThreads, threads, threadCpuMs(process.pid));
          cpu.bare += ms;
          rates.bare.push(side.photosPerS);
          line.bare = `bare ${side.photosPerS.toFixed(1)} photos/s, ${(ms / (RETURNS * PHOTOS)).toFixed(1)} ms CPU/photo`;
        },
        async () => {
          const requests = await uploadRequests(throughputPhotos[r]!, `t${r}`, vehicle!.id);
          const own = processCpuMs(process.pid);
          const threads = threadCpuMs(agentPid);
          const agentMs = processCpuMs(agentPid);
          perf?.enable();
          const side = await uploadAll(photosUrl, requests, CONCURRENCY);
          perf?.disable();
          const agentUsed = processCpuMs(agentPid) - agentMs;
          const clientUsed = processCpuMs(process.pid) - own;
          addThreads(cpu.agentThreads, threads, threadCpuMs(agentPid));
          cpu.agent += agentUsed;
          cpu.client += clientUsed;
          rates.http.push(side.photosPerS);
          line.http = `upload ${side.photosPerS.toFixed(1)} photos/s, ${(agentUsed / (RETURNS * PHOTOS)).toFixed(1)} + ${(clientUsed / (RETURNS * PHOTOS)).toFixed(1)} ms CPU/photo (agent + client)`;
        },
      ];
      if (r % 2 === 1) sides.reverse();
      for (const side of sides) await side();
      const ratio = (rates.http[r] as number) / (rates.bare[r] as number);
      batches.push(ratio.toFixed(2));
      console.log(`throughput batch ${r}: ratio ${ratio.toFixed(2)}; ${line.http}; ${line.bare}; load ${load.toFixed(1)} → ${(loadavg()[0] as number).toFixed(1)}`);
    }
    await perf?.stop();
    await perfBare?.stop();
    const overall = (xs: number[]): number => xs.length / xs.reduce((sum, x) => sum + 1 / x, 0);
    const photos = ROUNDS * RETURNS * PHOTOS;
    console.log(`verdicts (and reasons): ${[...verdicts].map(([key, n]) => `${key.trim()} ${n}`).join(', ')}`);
    console.log(`throughput, ${CONCURRENCY} at once, ${ROUNDS} batches of ${RETURNS} returns: upload→verdict ${overall(rates.http).toFixed(1)} photos/s, bare pipeline ${overall(rates.bare).toFixed(1)} photos/s, `
      + `ratio ${(overall(rates.http) / overall(rates.bare)).toFixed(2)} (target ≥ 0.7); per batch ${batches.join(' / ')}`);
    console.log(`  CPU per photo: uploads ${(cpu.agent / photos).toFixed(1)} ms in the agent + ${(cpu.client / photos).toFixed(1)} ms in the client, bare ${(cpu.bare / photos).toFixed(1)} ms`);
    // Threads that ended during a batch (libvips lets idle workers go) are missing here.
    const byThread = (threads: Map<string, number>): string => [...threads].filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]).map(([name, ms]) => `${name} ${(ms / photos).toFixed(1)}`).join(', ');
    console.log(`  CPU per photo by thread (ms; "node": libuv's and V8's workers): agent ${byThread(cpu.agentThreads)}; bare ${byThread(cpu.bareThreads)}`);
    if (perf !== undefined) console.log(`  perf profiles: ${PERF} (the agent, upload batches), ${PERF}.bare (bare batches); e.g. perf report -i ${PERF} --sort comm,dso`);
  } finally {
    await agent.kill('SIGTERM');
    await models.close();
  }
}

await main();
