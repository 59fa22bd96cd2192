import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { TestServerError } from './errors.js';
import { withLock } from './lock.js';

const run = promisify(execFile);

/** A program the test servers need and the Debian package that ships it. */
export interface DebianProgram {
  program: string;
  debianPackage: string;
}

export function findProgram(program: string, path = process.env.PATH ?? ''): string | undefined {
  const dirs = [...path.split(delimiter), '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

async function aptGet(args: string[]): Promise<void> {
  await run('apt-get', args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 15 * 60_000,
  });
}

function describe(error: unknown): string {
  const failed = error as { stderr?: string; message?: string };
  return (failed.stderr || failed.message || String(error)).trim().split('\n').slice(-8).join('\n');
}

/**
 * Installs the Debian packages of the programs that are missing (we run as root on the dev
 * machines and CI). Package lists are fetched only when the first attempt fails for lack of
 * them. `lockFile` serialises concurrent installs: dpkg's own lock would make the loser fail.
 */
export async function installDebianPrograms(
  programs: readonly DebianProgram[],
  lockFile: string,
  progress: (line: string) => void,
): Promise<void> {
  const missing = () => programs.filter((p) => findProgram(p.program) === undefined);
  if (missing().length === 0) return;
  await withLock(lockFile, async () => {
    const packages = [...new Set(missing().map((p) => p.debianPackage))];
    if (packages.length === 0) return;
    if (process.getuid?.() !== 0) {
      throw new TestServerError(
        'FW_TEST_SERVER_INSTALL_FAILED',
        `missing programs; install them as root: apt-get install -y ${packages.join(' ')}`,
      );
    }
    progress(`apt: installing ${packages.join(' ')}`);
    const started = Date.now();
    try {
      await aptGet(['install', '-y', ...packages]);
    } catch (firstError) {
      progress(`apt: install failed (${describe(firstError).split('\n').at(-1)}); running apt-get update and trying again`);
      try {
        await aptGet(['update']);
        await aptGet(['install', '-y', ...packages]);
      } catch (error) {
        throw new TestServerError(
          'FW_TEST_SERVER_INSTALL_FAILED',
          `apt-get install -y ${packages.join(' ')} failed:\n${describe(error)}`,
          { cause: error, canRetry: true },
        );
      }
    }
    const stillMissing = missing();
    if (stillMissing.length > 0) {
      throw new TestServerError(
        'FW_TEST_SERVER_INSTALL_FAILED',
        `installed ${packages.join(' ')} but cannot find ${stillMissing.map((p) => p.program).join(', ')} on PATH`,
      );
    }
    progress(`apt: installed ${packages.join(' ')} in ${Math.round((Date.now() - started) / 1000)} s`);
  });
}
