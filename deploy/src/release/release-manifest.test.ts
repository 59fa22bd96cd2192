import { describe, expect, it } from 'vitest';
import { ReleaseError } from './errors.js';
import { compiledPath, EDGE_BUNDLE, EDGE_PACKAGE, releaseName, releasePackageJson, releaseRootPackageJson } from './release-manifest.js';

describe('release package.json files', () => {
  it('point exports at the compiled JavaScript, leave test support out, keep the dependencies and drop the scripts', () => {
    const released = releasePackageJson(
      {
        name: '@fleetwire/cloud',
        version: '0.1.0',
        exports: { '.': './src/index.ts', './vision': { types: './src/vision.d.ts', default: './src/vision.ts' }, './testing': './test/support/index.ts' },
        scripts: { test: 'vitest' },
        dependencies: { aedes: '^1.2.0' },
        devDependencies: { '@fleetwire/simulators': 'workspace:*' },
      },
      '1.2.3',
    );
    expect(released).toEqual({
      name: '@fleetwire/cloud',
      version: '1.2.3',
      exports: { '.': './src/index.js', './vision': { types: './src/vision.d.ts', default: './src/vision.js' } },
      dependencies: { aedes: '^1.2.0' },
      devDependencies: { '@fleetwire/simulators': 'workspace:*' },
    });
  });

  it('point the edge package at its bundle and keep its other exports compiled', () => {
    const released = releasePackageJson({ name: EDGE_PACKAGE, exports: { '.': './src/index.ts', './testing': './test/support/index.ts' } }, '0.1.0');
    expect(released.exports).toEqual({ '.': EDGE_BUNDLE.exportPath });
    expect(EDGE_BUNDLE.exportPath.startsWith(`./${EDGE_BUNDLE.outDir.slice('edge/'.length)}/`)).toBe(true);
  });

  it('give the deploy package the fleetwire bin on the compiled command line', () => {
    expect(releasePackageJson({ name: '@fleetwire/deploy', exports: { '.': './src/index.ts' } }, '0.1.0').bin).toEqual({
      fleetwire: './src/cli/main.js',
    });
    expect(releasePackageJson({ name: '@fleetwire/cloud' }, '0.1.0').bin).toBeUndefined();
  });

  it('leave the root one script that runs the command line on plain node', () => {
    const root = releaseRootPackageJson({ name: 'fleetwire', version: '0.1.0', scripts: { demo: 'node --import tsx deploy/src/cli/main.ts demo' } });
    expect(root.scripts).toEqual({ fleetwire: 'node deploy/src/cli/main.js' });
  });

  it('compile only TypeScript paths', () => {
    expect(compiledPath('./src/a.ts')).toBe('./src/a.js');
    expect(compiledPath('./src/a.d.ts')).toBe('./src/a.d.ts');
    expect(compiledPath('./static/page.html')).toBe('./static/page.html');
  });

  it('name the release by a semantic version and refuse anything else', () => {
    expect(releaseName('0.2.0-rc.1')).toBe('fleetwire-0.2.0-rc.1');
    expect(() => releaseName('../evil')).toThrow(ReleaseError);
    expect(() => releaseName('')).toThrow(/not a semantic version/);
  });
});
