/**
 * The release as an operator meets it: `pnpm run release` builds the tarball, deploy/edge/
 * install.sh installs it into a scratch root (production dependencies only), systemd-analyze
 * verifies the installed unit against the installed files, and the agent and a cloud started
 * from the installed files alone, as an unprivileged system user, carry a reading published
 * with Mosquitto's own mosquitto_pub into the cloud's fleet API. Then upgrade, rollback and an
 * uninstall that keeps config and data.
 */
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '@fleetwire/cloud';
import { hashPassword } from '@fleetwire/edge';
import { buildRelease, type Release } from '../src/release/build-release.js';
import { findProgram } from '@fleetwire/test-servers';
import { startReleasedProcess, type ReleasedProcess } from './support/released-process.js';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');
const INSTALL = join(REPO, 'deploy/edge/install.sh');
const DEVICE = 'VH-PI0001';
const PASSWORD = 'pi-install-test-password';

/** The service account: a system user made for this run (install.sh makes `fleetwire` on a live machine). */
const SERVICE_USER = `fwtest${process.pid}`;

async function createServiceUser(): Promise<{ uid: number; gid: number }> {
  await run('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', SERVICE_USER]);
  const ids = async (flag: string): Promise<number> => Number((await run('id', [flag, SERVICE_USER])).stdout.trim());
  return { uid: await ids('-u'), gid: await ids('-g') };
}

/** NAME=value lines as an environment; anything else (comments, blank lines) skipped. */
function assignments(lines: string[]): Record<string, string> {
  const entries = lines
    .filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const);
  return Object.fromEntries(entries);
}

/** What systemd's EnvironmentFile= would hand the service. */
function environmentFile(file: string): Record<string, string> {
  return assignments(readFileSync(file, 'utf8').split('\n'));
}

/** What the unit's own Environment= lines set (NODE_ENV, NODE_OPTIONS with its V8 flags); one assignment a line, quoted as systemd reads it when it holds spaces. */
function unitEnvironment(unit: string): Record<string, string> {
  const lines = readFileSync(unit, 'utf8').split('\n');
  const values = lines.filter((line) => line.startsWith('Environment=')).map((line) => line.slice('Environment='.length));
  return assignments(values.map((value) => (/^".*"$/.test(value) ? value.slice(1, -1) : value)));
}

async function install(root: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('bash', [INSTALL, ...args, '--root', root, '--user', SERVICE_USER], { maxBuffer: 8 * 1024 * 1024 });
  return stdout;
}

/** A copy of a release under another version: what an upgrade brings, without a second build. */
async function repackAs(release: Release, version: string, outDir: string): Promise<string> {
  const folder = join(outDir, `fleetwire-${version}`);
  cpSync(release.folder, folder, { recursive: true, verbatimSymlinks: true });
  const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { version: string };
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ ...manifest, version }, null, 2));
  const tarball = join(outDir, `fleetwire-${version}.tar.gz`);
  await run('tar', ['-czf', tarball, '-C', outDir, `fleetwire-${version}`]);
  return tarball;
}

describe('the edge release installed into a scratch root', () => {
  let dir: string;
  let root: string;
  let release: Release;
  let user: { uid: number; gid: number };
  const running: ReleasedProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fw-edge-install-'));
    // The unprivileged user must be able to reach the installed files below the scratch root.
    chmodSync(dir, 0o755);
    root = join(dir, 'root');
    user = await createServiceUser();
    release = await buildRelease({ root: REPO, outDir: join(dir, 'release') });
    mkdirSync(root);
    chmodSync(root, 0o755);
  });

  afterAll(async () => {
    for (const process of running) await process.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    await run('userdel', [SERVICE_USER]).catch(() => undefined);
  });

  it('installs with production dependencies only and a current link to the version', async () => {
    const out = await install(root, 'install', release.tarball, '--node-id', 'pi-test', '--cloud-url', 'http://127.0.0.1:9');
    expect(out).toContain(`installed fleetwire ${release.version}`);
    const versionDir = join(root, 'opt/fleetwire', release.version);
    expect(readFileSync(join(root, 'opt/fleetwire/current/package.json'), 'utf8')).toContain(`"version": "${release.version}"`);
    const store = readdirSync(join(versionDir, 'node_modules/.pnpm'));
    expect(store.some((name) => name.startsWith('better-sqlite3@'))).toBe(true);
    expect(store.filter((name) => /^(typescript|tsx|vitest|esbuild|eslint|playwright-core)@/.test(name))).toEqual([]);
    // onnxruntime's libraries for other platforms are pruned: only this machine's is left.
    const onnx = store.find((name) => name.startsWith('onnxruntime-node@')) as string;
    const binaries = join(versionDir, 'node_modules/.pnpm', onnx, 'node_modules/onnxruntime-node/bin/napi-v6');
    expect(readdirSync(binaries)).toEqual(['linux']);
    expect(readdirSync(join(binaries, 'linux'))).toEqual([process.arch]);
    expect(readlinkSync(join(root, 'usr/local/bin/fleetwire'))).toBe('/opt/fleetwire/current/bin/fleetwire');
    const { stdout } = await run(join(root, 'opt/fleetwire/current/bin/fleetwire'), ['--version']);
    expect(stdout.trim()).toBe(`fleetwire ${release.version}`);
    expect(statSync(join(root, 'etc/fleetwire/edge.env')).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'etc/fleetwire/edge.json')).mode & 0o777).toBe(0o640);
    expect(statSync(join(root, 'var/lib/fleetwire')).uid).toBe(user.uid);
  });

  it('installs a unit that systemd-analyze verify accepts against the installed files', async () => {
    const analyze = findProgram('systemd-analyze');
    expect(analyze, 'systemd-analyze (Debian systemd) is installed by the test servers').toBeDefined();
    const unit = join(root, 'etc/systemd/system/fleetwire-edge.service');
    // The target system's own units (the targets ours is ordered after), as a Pi has them.
    cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true });
    const result = await run(analyze as string, ['verify', `--root=${root}`, unit]).then(
      ({ stderr }) => ({ code: 0, stderr }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(result).toEqual({ code: 0, stderr: '' });
    const text = readFileSync(unit, 'utf8');
    expect(text).toMatch(new RegExp(`^User=${SERVICE_USER}$`, 'm'));
    for (const line of ['ProtectSystem=strict', 'NoNewPrivileges=yes', 'PrivateTmp=yes', 'CapabilityBoundingSet=', 'ReadWritePaths=/var/lib/fleetwire', 'Restart=on-failure']) {
      expect(text.split('\n')).toContain(line);
    }
  });

  it('keeps a secret given on stdin in the mode-600 env file only', async () => {
    const { token } = issueToken('pi-test');
    const child = execFile('bash', [INSTALL, 'set-secret', 'FLEETWIRE_EDGE_NODE_TOKEN', '--root', root, '--user', SERVICE_USER]);
    child.stdin?.end(`${token}\n`);
    const code = await new Promise((done) => child.once('close', done));
    expect(code).toBe(0);
    expect(environmentFile(join(root, 'etc/fleetwire/edge.env'))).toEqual({ FLEETWIRE_EDGE_NODE_TOKEN: token });
    expect(statSync(join(root, 'etc/fleetwire/edge.env')).mode & 0o777).toBe(0o600);
  });

  it('runs as the service user from the installed files and moves a mosquitto_pub reading to the cloud', async () => {
    const current = join(root, 'opt/fleetwire/current/bin/fleetwire');
    const issued = issueToken('pi-test');
    const cloudDir = join(dir, 'cloud');
    mkdirSync(cloudDir);
    writeFileSync(
      join(cloudDir, 'cloud.json'),
      JSON.stringify({ dataDir: join(cloudDir, 'data'), http: { host: '127.0.0.1', port: 0 }, auth: { nodes: [{ id: 'pi-test', devices: ['VH-*'], tokens: [issued.entry] }] } }),
    );
    await run('chown', ['-R', `${user.uid}:${user.gid}`, cloudDir]);
    const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent' };
    const cloud = await startReleasedProcess({
      command: current,
      args: ['cloud', '--config', join(cloudDir, 'cloud.json')],
      cwd: cloudDir,
      env: baseEnv,
      ...user,
      isStarted: (entry) => entry.msg === 'cloud_started',
    });
    running.push(cloud);
    const cloudUrl = cloud.started.address as string;

    // The operator's provisioning: the device registry, the node token, the cloud's address.
    const registry = { devices: [{ id: DEVICE, kind: 'vehicle', passwordHash: await hashPassword(PASSWORD) }] };
    writeFileSync(join(root, 'etc/fleetwire/devices.json'), JSON.stringify(registry));
    const tokenChild = execFile('bash', [INSTALL, 'set-secret', 'FLEETWIRE_EDGE_NODE_TOKEN', '--root', root, '--user', SERVICE_USER]);
    tokenChild.stdin?.end(`${issued.token}\n`);
    await new Promise((done) => tokenChild.once('close', done));

    const agent = await startReleasedProcess({
      command: current,
      args: ['edge', '--config', join(root, 'etc/fleetwire/edge.json')],
      cwd: join(root, 'var/lib/fleetwire'),
      // systemd reads the env file as root and hands it over; the paths point into the scratch root.
      env: {
        ...baseEnv,
        // As systemd starts it: the unit's Environment= (a V8 flag node refused would stop the start here).
        ...unitEnvironment(join(root, 'etc/systemd/system/fleetwire-edge.service')),
        ...environmentFile(join(root, 'etc/fleetwire/edge.env')),
        FLEETWIRE_EDGE_DATA_DIR: join(root, 'var/lib/fleetwire/edge'),
        FLEETWIRE_EDGE_CLOUD_URL: cloudUrl,
        FLEETWIRE_EDGE_MQTT_HOST: '127.0.0.1',
        FLEETWIRE_EDGE_MQTT_PORT: '0',
        FLEETWIRE_EDGE_HTTP_PORT: '0',
      },
      ...user,
      isStarted: (entry) => entry.event === 'edge_agent_started',
    });
    running.push(agent);
    const status = readFileSync(`/proc/${agent.child.pid}/status`, 'utf8');
    expect(status).toMatch(new RegExp(`^Uid:\\s+${user.uid}\\s`, 'm'));
    expect(readFileSync(`/proc/${agent.child.pid}/environ`, 'utf8').split('\0')).toContain('NODE_OPTIONS=--max-semi-space-size=2 --max-old-space-size=256');
    const mqttPort = new URL((agent.started.addresses as Record<string, string>).mqtt as string).port;

    const reading = {
      v: 1, ts: Date.now(), seq: 1, position: { lat: 52.52, lon: 13.405 }, speedKph: 0, headingDeg: 90, odometerKm: 1234.5, socPct: 67,
      battery: { tempC: 21, voltageV: 396, currentA: 0 }, aux12vV: 12.6, tyresKpa: { fl: 240, fr: 240, rl: 238, rr: 238 }, locked: true, ignition: false, dtcs: [],
    };
    const mosquittoPub = findProgram('mosquitto_pub') as string;
    await run(mosquittoPub, ['-h', '127.0.0.1', '-p', mqttPort, '-i', DEVICE, '-u', DEVICE, '-P', PASSWORD, '-q', '1', '-t', `fleetwire/v1/vehicle/${DEVICE}/telemetry`, '-m', JSON.stringify(reading)]);

    let vehicle: Record<string, unknown> | undefined;
    for (let attempt = 0; attempt < 100 && vehicle === undefined; attempt++) {
      const response = await fetch(`${cloudUrl}/v1/fleet/vehicles/${DEVICE}`);
      if (response.ok) vehicle = (await response.json()) as Record<string, unknown>;
      else await new Promise((done) => setTimeout(done, 200));
    }
    expect(vehicle, [...agent.output, ...cloud.output].join('\n')).toMatchObject({ id: DEVICE, socPct: 67 });
    expect(await agent.stop()).toBe(0);
    expect(agent.output.join('\n')).not.toMatch(/EACCES|EPERM/);
    expect(existsSync(join(root, 'var/lib/fleetwire/edge'))).toBe(true);
    expect(statSync(join(root, 'var/lib/fleetwire/edge')).uid).toBe(user.uid);
  });

  it('upgrades and rolls back by switching current, and uninstall keeps config and data', async () => {
    const next = await repackAs(release, '99.0.0', join(dir, 'release'));
    await install(root, 'upgrade', next);
    const version = async (): Promise<string> => (await run(join(root, 'opt/fleetwire/current/bin/fleetwire'), ['--version'])).stdout.trim();
    expect(await version()).toBe('fleetwire 99.0.0');
    await install(root, 'rollback');
    expect(await version()).toBe(`fleetwire ${release.version}`);
    expect((await install(root, 'status')).split('\n')).toContain(`* ${release.version} (current)`);

    await install(root, 'uninstall');
    expect(existsSync(join(root, 'opt/fleetwire'))).toBe(false);
    expect(existsSync(join(root, 'etc/systemd/system/fleetwire-edge.service'))).toBe(false);
    expect(existsSync(join(root, 'etc/fleetwire/devices.json'))).toBe(true);
    expect(existsSync(join(root, 'var/lib/fleetwire/edge'))).toBe(true);
    await install(root, 'uninstall', '--purge');
    expect(existsSync(join(root, 'etc/fleetwire'))).toBe(false);
    expect(existsSync(join(root, 'var/lib/fleetwire'))).toBe(false);
    expect(userInfo().uid).toBe(0);
  });
});
