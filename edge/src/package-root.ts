import { fileURLToPath } from 'node:url';

/**
 * The edge package's folder (the one holding package.json and models/). This module sits one
 * level below it in every form the agent runs in — `src/` in the checkout and the compiled
 * tree, `dist/` in the release's bundle (deploy/src/release) — so `..` holds in all three,
 * wherever a bundler puts the code that imports it.
 */
export const EDGE_PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
