/**
 * Builds the release: the TypeScript of every package compiled into a staging folder (same
 * layout as the checkout), the package.json files rewritten for it, the lockfile, the models,
 * the docs, the service files and the licence — then one `fleetwire-<version>.tar.gz`.
 *
 * What a machine does with it (deploy/edge/install.sh does exactly this):
 *   tar -xzf fleetwire-<version>.tar.gz && cd fleetwire-<version>
 *   npx -y pnpm@10.34.8 install --prod --frozen-lockfile
 *   ./bin/fleetwire --version
 */
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { ReleaseError } from './errors.js';
import { compiledPath, CLI_ENTRY, EDGE_BUNDLE, releaseName, releasePackageJson, releaseRootPackageJson, type PackageJson } from './release-manifest.js';

const run = promisify(execFile);

/** The workspace packages, each shipped as its package.json plus its compiled src/. */
export const WORKSPACE_PACKAGES = ['protocol', 'edge', 'cloud', 'simulators', 'deploy/test-servers', 'deploy'] as const;

/** Files and folders copied as they are (relative to the checkout); a missing one fails the build. */
export const SHIPPED_AS_IS = [
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
  'README.md',
  'LICENSE',
  'docs',
  'edge/models/damage-v5.onnx',
  'edge/models/damage-v5-int8.onnx',
  'edge/models/screen-v2.onnx',
  'edge/models/screen-v2-int8.onnx',
  'edge/models/model-card.json',
  'edge/models/MODEL_CARD.md',
  'edge/fleetwire-edge.example.json',
  'cloud/src/dashboard/static',
  'deploy/edge',
  'deploy/grafana',
  'deploy/prometheus',
] as const;

export interface ReleaseOptions {
  /** The checkout to build from. */
  root: string;
  /** Where the tarball (and the staging folder beside it) go. */
  outDir: string;
  /** Default: the root package.json's version. */
  version?: string;
  progress?: (line: string) => void;
}

export interface Release {
  version: string;
  /** The unpacked release folder. */
  folder: string;
  tarball: string;
}

function readJson(file: string): PackageJson {
  return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

async function step(what: string, action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message?: string };
    const detail = [failed.stdout, failed.stderr].filter(Boolean).join('\n').trim() || failed.message;
    throw new ReleaseError('FW_RELEASE_BUILD_FAILED', `${what} failed:\n${detail}`, { cause: error });
  }
}

/**
 * The edge agent and what it loads at start-up in a few minified ES modules (see EDGE_BUNDLE).
 * Code splitting keeps each lazily loaded part (vision, OCPP, the bridge) in its own file, loaded
 * only when enabled, as in the source. Bundled CommonJS code `require`s Node's built-ins and the
 * external packages at run time, so each file gets a `require` of its own. Names are kept
 * (`keepNames`): logs carry class and function names (`err.type`, stack frames). The source
 * maps lie beside the files and cost nothing until `node --enable-source-maps` reads them.
 */
async function bundleEdgeAgent(root: string, outDir: string): Promise<void> {
  await build({
    absWorkingDir: root,
    entryPoints: [join(root, EDGE_BUNDLE.entry)],
    outdir: outDir,
    entryNames: '[name]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    external: [...EDGE_BUNDLE.external],
    banner: { js: "import { createRequire as createRequireOfBundle } from 'node:module'; const require = createRequireOfBundle(import.meta.url);" },
    logLevel: 'silent',
  });
}

export async function buildRelease(options: ReleaseOptions): Promise<Release> {
  const progress = options.progress ?? (() => undefined);
  const rootManifest = readJson(join(options.root, 'package.json'));
  const version = options.version ?? String(rootManifest.version ?? '');
  const name = releaseName(version);
  const folder = join(options.outDir, name);
  const tarball = join(options.outDir, `${name}.tar.gz`);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });

  for (const path of SHIPPED_AS_IS) {
    if (!existsSync(join(options.root, path))) throw new ReleaseError('FW_RELEASE_BUILD_FAILED', `${path} is missing from the checkout`);
  }

  progress(`compiling TypeScript into ${folder}`);
  const tsc = createRequire(join(options.root, 'package.json')).resolve('typescript/bin/tsc');
  await step('tsc', () => run(process.execPath, [tsc, '-p', join(options.root, 'tsconfig.build.json'), '--outDir', folder], { cwd: options.root, maxBuffer: 16 * 1024 * 1024 }));

  for (const path of SHIPPED_AS_IS) cpSync(join(options.root, path), join(folder, path), { recursive: true });
  writeJson(join(folder, 'package.json'), releaseRootPackageJson({ ...rootManifest, version }));
  for (const pkg of WORKSPACE_PACKAGES) {
    writeJson(join(folder, pkg, 'package.json'), releasePackageJson(readJson(join(options.root, pkg, 'package.json')), version));
  }
  progress(`bundling the edge agent into ${join(folder, EDGE_BUNDLE.outDir)}`);
  await step('bundling the edge agent', () => bundleEdgeAgent(options.root, join(folder, EDGE_BUNDLE.outDir)));

  mkdirSync(join(folder, 'bin'));
  const cli = join('deploy', compiledPath(CLI_ENTRY));
  chmodSync(join(folder, cli), 0o755);
  symlinkSync(join('..', cli), join(folder, 'bin', 'fleetwire'));

  progress(`packing ${tarball}`);
  await step('tar', () =>
    run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-czf', tarball, '-C', options.outDir, name]),
  );
  return { version, folder, tarball };
}
