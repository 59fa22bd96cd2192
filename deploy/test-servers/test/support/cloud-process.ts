/**
 * The real cloud (`fleetwire cloud serve`, deploy's CLI, started by path) as a child process, for
 * tests that restart it, kill it hard, or sit in a package that must not import the cloud (the
 * edge's). Its `cloud_started` log line carries the bound address (tests use port 0).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '../../../..');
const ENTRY = resolve(ROOT, 'deploy/src/cli/main.ts');

export interface CloudProcess {
  readonly address: string;
  /** SIGTERM (a clean stop, the default) or SIGKILL (a crash); resolves once the process is gone. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

export async function startCloudProcess(config: Record<string, unknown>, dir: string): Promise<CloudProcess> {
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
  return {
    address,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
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
