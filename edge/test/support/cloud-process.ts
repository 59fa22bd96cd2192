/**
 * Starts the real cloud ingest (`fleetwire cloud serve`, deploy's CLI) as a child process for
 * edge tests — the edge package does not import the cloud. Its `cloud_started` log line carries
 * the bound address (tests use port 0). Metrics are read over HTTPS with the test CA.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { sumMetric } from './fleet.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const ENTRY = resolve(ROOT, 'deploy/src/cli/main.ts');

export interface CloudProcess {
  readonly address: string;
  /** Sum of a metric's samples in the cloud's /metrics, optionally filtered by labels. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

export async function startCloudProcess(config: Record<string, unknown>, dir: string, caFile: string): Promise<CloudProcess> {
  const configFile = join(dir, 'cloud.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'cloud', 'serve', '--config', configFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolvePromise) => child.once('close', () => resolvePromise()));
  const address = await new Promise<string>((resolvePromise, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      output += `${line}\n`;
      const entry = parseLine(line);
      if (entry?.msg === 'cloud_started' && typeof entry.address === 'string') resolvePromise(entry.address);
    });
    void exited.then(() => reject(new Error(`cloud exited before starting:\n${output}`)));
  });
  const ca = readFileSync(caFile);
  return {
    address,
    async metric(name, labels = {}) {
      const text = await new Promise<string>((resolvePromise, reject) => {
        get(`${address}/metrics`, { ca }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolvePromise(body));
        }).on('error', reject);
      });
      return sumMetric(text, name, labels);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
