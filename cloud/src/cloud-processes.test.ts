import { describe, expect, it } from 'vitest';
import { INGEST_NODE_FLAGS, workerNodeFlags } from './cloud-processes.js';

describe('workerNodeFlags', () => {
  it("keeps the primary's flags and adds the ingest tier's young-generation size", () => {
    expect(INGEST_NODE_FLAGS).toEqual(['--max-semi-space-size=64']);
    expect(workerNodeFlags(['--enable-source-maps'], '', false)).toEqual(['--enable-source-maps', '--max-semi-space-size=64']);
  });

  it("adds tsx's loader for a worker run from source, once", () => {
    expect(workerNodeFlags([], '', true)).toEqual(['--import', 'tsx', '--max-semi-space-size=64']);
    expect(workerNodeFlags(['--import', 'tsx'], '', true)).toEqual(['--import', 'tsx', '--max-semi-space-size=64']);
  });

  it("leaves the operator's own semi-space size alone, from the command line or NODE_OPTIONS", () => {
    expect(workerNodeFlags(['--max-semi-space-size=16'], '', false)).toEqual(['--max-semi-space-size=16']);
    expect(workerNodeFlags([], '--max-old-space-size=400 --max-semi-space-size=8', false)).toEqual([]);
    expect(workerNodeFlags([], '--max-semi-space-size-x', false)).toEqual(['--max-semi-space-size=64']);
  });
});
