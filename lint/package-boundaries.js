/**
 * ESLint rules that keep the workspace's packages apart (eslint.config.js turns them on):
 *
 * - `package-boundaries`: a relative import stays inside its own package; another package is
 *   imported by its name and through its `exports` (Node resolution refuses the rest). Product
 *   code — a package's `src/`, tests excepted — imports only the packages in its `dependencies`
 *   (never a devDependency such as the simulators or the test servers), and never test support:
 *   a `/testing` subpath or a file under a `test/` folder.
 * - `package-graph`: the packages' declared dependencies (devDependencies included) form no
 *   cycle; a package on one is reported at its entry file. With the first rule this keeps the
 *   graph of real imports acyclic too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The workspace packages, by folder (from pnpm-workspace.yaml's list). */
function readPackages() {
  const workspace = readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8');
  const folders = [...workspace.matchAll(/^\s+-\s+([\w./-]+)\s*$/gm)].map((match) => match[1]).filter((folder) => existsSync(join(ROOT, folder, 'package.json')));
  return folders.map((folder) => {
    const manifest = JSON.parse(readFileSync(join(ROOT, folder, 'package.json'), 'utf8'));
    const names = (section) => Object.keys(manifest[section] ?? {}).filter((name) => name.startsWith('@fleetwire/'));
    return { folder: join(ROOT, folder), name: manifest.name, dependencies: names('dependencies'), devDependencies: names('devDependencies'), entry: manifest.exports?.['.'] };
  });
}

const PACKAGES = readPackages();

/** The package a file belongs to: the one with the longest folder holding it. */
function packageOf(file) {
  let found;
  for (const pkg of PACKAGES) {
    if ((file === pkg.folder || file.startsWith(pkg.folder + sep)) && (found === undefined || pkg.folder.length > found.folder.length)) found = pkg;
  }
  return found;
}

function isProductCode(file, pkg) {
  const inside = relative(pkg.folder, file).split(sep);
  return inside[0] === 'src' && !/\.test\.ts$/.test(file);
}

/** Packages on a cycle of declared dependencies. */
function packagesOnCycles() {
  const byName = new Map(PACKAGES.map((pkg) => [pkg.name, pkg]));
  const onCycle = new Set();
  const visit = (pkg, path) => {
    const at = path.indexOf(pkg.name);
    if (at >= 0) {
      for (const name of path.slice(at)) onCycle.add(name);
      return;
    }
    for (const next of [...pkg.dependencies, ...pkg.devDependencies]) {
      const dependency = byName.get(next);
      if (dependency !== undefined) visit(dependency, [...path, pkg.name]);
    }
  };
  for (const pkg of PACKAGES) visit(pkg, []);
  return onCycle;
}

const packageBoundaries = {
  meta: { type: 'problem', docs: { description: 'imports between workspace packages go through package names, product code through declared dependencies only' }, schema: [] },
  create(context) {
    const file = context.filename;
    const pkg = packageOf(file);
    if (pkg === undefined) return {};
    const product = isProductCode(file, pkg);
    const check = (node, source) => {
      if (typeof source !== 'string') return;
      if (source.startsWith('.')) {
        const target = resolve(dirname(file), source);
        if (packageOf(target) !== pkg) {
          context.report({ node, message: `'${source}' leaves ${pkg.name}: import the other package by its name, through its exports` });
        } else if (product && target.split(sep).includes('test')) {
          context.report({ node, message: `'${source}' is test support: product code must not import it` });
        }
        return;
      }
      const match = /^(@fleetwire\/[^/]+)(\/.*)?$/.exec(source);
      if (match === null || !product) return;
      const [, name, subpath] = match;
      if (subpath === '/testing') context.report({ node, message: `'${source}' is test support: product code must not import it` });
      else if (name !== pkg.name && !pkg.dependencies.includes(name)) {
        context.report({ node, message: `${pkg.name} product code imports ${name}, which is not among its dependencies` });
      }
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => check(node, node.source?.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => check(node, node.source.type === 'Literal' ? node.source.value : undefined),
    };
  },
};

const packageGraph = {
  meta: { type: 'problem', docs: { description: 'the workspace packages depend on each other without a cycle' }, schema: [] },
  create(context) {
    const pkg = packageOf(context.filename);
    if (pkg === undefined || pkg.entry === undefined || resolve(pkg.folder, pkg.entry) !== context.filename) return {};
    return {
      Program(node) {
        if (packagesOnCycles().has(pkg.name)) context.report({ node, message: `${pkg.name} is on a cycle of package dependencies (package.json dependencies and devDependencies)` });
      },
    };
  },
};

export default { rules: { 'package-boundaries': packageBoundaries, 'package-graph': packageGraph } };
