/**
 * `pnpm run release [--out <dir>] [--version <x.y.z>]`: builds fleetwire-<version>.tar.gz from
 * this checkout (see build-release.ts). Runs from the source tree: the release itself has no
 * TypeScript compiler and does not build releases.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildRelease } from './build-release.js';
import { ReleaseError } from './errors.js';

const USAGE = `Usage: pnpm run release [--out <dir>] [--version <x.y.z>]

Compiles every package to JavaScript and packs the release: built code, package.json files,
lockfile, models, docs, service files and licence, as <out>/fleetwire-<version>.tar.gz.

Options:
  --out <dir>        where the tarball goes (default: dist/release)
  --version <x.y.z>  the release version (default: the version in the root package.json)
  -h, --help         this text`;

const ROOT = resolve(import.meta.dirname, '../../..');

async function main(argv: string[]): Promise<number> {
  let values: { out?: string; version?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { out: { type: 'string' }, version: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    console.error(`release: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    const release = await buildRelease({
      root: ROOT,
      outDir: resolve(values.out ?? join(ROOT, 'dist', 'release')),
      ...(values.version !== undefined ? { version: values.version } : {}),
      progress: (line) => console.log(`release: ${line}`),
    });
    console.log(`release: ${release.tarball}`);
    return 0;
  } catch (error) {
    if (!(error instanceof ReleaseError)) throw error;
    console.error(`release: ${error.code}: ${error.message}`);
    return error.code === 'FW_RELEASE_BUILD_FAILED' ? 1 : 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
