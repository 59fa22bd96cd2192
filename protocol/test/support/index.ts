/**
 * @fleetwire/protocol/testing — valid samples of every record and event for the tests of every
 * package. Test code only: product code never imports this subpath (lint refuses it).
 */
export * from './fixtures.js';
export * from './metrics-text.js';
