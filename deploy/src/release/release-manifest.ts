/**
 * What the release changes in the package.json files it ships — decisions only, no I/O.
 *
 * In the checkout every workspace package exports its TypeScript (`./src/index.ts`), which
 * tsx and vitest run directly. The release holds the same tree compiled to JavaScript beside
 * it (`src/index.ts` → `src/index.js`), so its package.json files point `exports` and `bin` at
 * `.js`, carry the release version, and keep only scripts that run with plain `node`. The
 * dependency lists stay exactly as they are: `pnpm install --prod --frozen-lockfile` checks
 * them against the lockfile and leaves the devDependencies out.
 */
import { ReleaseError } from './errors.js';

export type PackageJson = Record<string, unknown> & {
  name?: string;
  version?: string;
  exports?: unknown;
  bin?: unknown;
  scripts?: Record<string, string>;
};

/** The compiled name of a source path: `./src/index.ts` → `./src/index.js`. */
export function compiledPath(path: string): string {
  return path.endsWith('.ts') && !path.endsWith('.d.ts') ? `${path.slice(0, -'.ts'.length)}.js` : path;
}

function compiledTargets(value: unknown): unknown {
  if (typeof value === 'string') return compiledPath(value);
  if (Array.isArray(value)) return value.map(compiledTargets);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, target]) => [key, compiledTargets(target)]));
  }
  return value;
}

/** Test support (`./testing` → `./test/support/…`) is not compiled into the release, so its subpaths are not exported there. */
function isTestSupport(target: unknown): boolean {
  return typeof target === 'string' ? target.startsWith('./test/') : target !== null && typeof target === 'object' && Object.values(target).some(isTestSupport);
}

function shippedExports(exports: unknown): unknown {
  if (exports === null || typeof exports !== 'object' || Array.isArray(exports)) return compiledTargets(exports);
  return compiledTargets(Object.fromEntries(Object.entries(exports).filter(([, target]) => !isTestSupport(target))));
}

/** Where the `fleetwire` command lives inside the deploy package, in the checkout and the release. */
export const CLI_ENTRY = './src/cli/main.ts';
export const CLI_PACKAGE = '@fleetwire/deploy';

/**
 * The edge agent ships bundled: its modules, @fleetwire/protocol and the libraries it loads at
 * start-up (aedes, mqtt-packet, typebox, pino, prom-client, …) in a few minified files instead
 * of ~560 modules. V8 keeps every loaded module's source text, its records and its functions'
 * metadata; bundled, the idle agent's heap is 3 MB smaller and its RSS 7–13 MB (docs/edge.md,
 * "Memory"). Left out of the bundle, loaded from node_modules as they are: native addons, and
 * what loads only when a feature is enabled (vision, OCPP, the bridge, WebSockets), where a
 * bundler's rewrite would gain nothing at idle and only risk the library's own file lookups.
 * (pino is bundled: its only file lookups, `__dirname` for its worker threads, serve transports,
 * which the agent does not use — it logs to stdout.)
 */
export const EDGE_BUNDLE = {
  /** `@fleetwire/edge`'s entry in the checkout (bundled from the TypeScript, against the checkout's node_modules) and where the bundle goes in the release folder. */
  entry: 'edge/src/index.ts',
  outDir: 'edge/dist',
  /** What the edge package's `.` export points at in the release. */
  exportPath: './dist/index.js',
  external: [
    'better-sqlite3',
    'onnxruntime-node',
    'sharp',
    'fastify',
    '@fastify/*',
    'jose',
    'ws',
    'ocpp-rpc',
    'mqtt',
    'exif-reader',
  ],
} as const;
export const EDGE_PACKAGE = '@fleetwire/edge';

/** A workspace package's package.json as the release ships it; the deploy package gains the `fleetwire` bin, the edge package exports its bundle. */
export function releasePackageJson(manifest: PackageJson, version: string): PackageJson {
  const released: PackageJson = { ...manifest, version };
  if (manifest.exports !== undefined) released.exports = shippedExports(manifest.exports);
  if (manifest.name === EDGE_PACKAGE) released.exports = { ...(released.exports as object | undefined), '.': EDGE_BUNDLE.exportPath };
  const bin = manifest.name === CLI_PACKAGE ? { fleetwire: CLI_ENTRY, ...(manifest.bin as object | undefined) } : manifest.bin;
  if (bin !== undefined) released.bin = compiledTargets(bin);
  delete released.scripts;
  return released;
}

/** The workspace root's package.json as the release ships it: one script, `fleetwire`, on plain node. */
export function releaseRootPackageJson(manifest: PackageJson): PackageJson {
  return { ...manifest, scripts: { fleetwire: `node deploy/${compiledPath(CLI_ENTRY).slice(2)}` } };
}

/** `fleetwire-0.1.0` — the folder inside the tarball and the tarball's name without `.tar.gz`. */
export function releaseName(version: string): string {
  if (!/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/.test(version)) {
    throw new ReleaseError('FW_RELEASE_VERSION_INVALID', `release version '${version}' is not a semantic version (like 0.1.0 or 0.2.0-rc.1)`);
  }
  return `fleetwire-${version}`;
}
