/**
 * What every process-level edge test file needs around its agents: a real uplink receiver
 * (created before the file's tests, closed after them) and the agent processes the tests start,
 * all killed after the file however its tests ended.
 */
import { afterAll, beforeAll } from 'vitest';
import { createTestReceiver, type TestReceiver } from './uplink-receiver.js';
import { startAgentProcess, type AgentProcess } from './agent-process.js';

export interface TestBed {
  /** Exists from the file's first beforeAll on. */
  readonly receiver: TestReceiver;
  /** startAgentProcess, remembered for the clean-up. */
  startAgent(config: Record<string, unknown>, dir: string): Promise<AgentProcess>;
}

/** Call at the top of a test file, before its own hooks: they then see the receiver. */
export function agentTestBed(token: string): TestBed {
  let receiver: TestReceiver | undefined;
  const agents: AgentProcess[] = [];
  beforeAll(async () => {
    receiver = await createTestReceiver({ token });
  });
  afterAll(async () => {
    for (const agent of agents) await agent.kill('SIGKILL');
    await receiver?.close();
  });
  return {
    get receiver() {
      if (receiver === undefined) throw new Error('agentTestBed: the receiver exists only once the file started');
      return receiver;
    },
    async startAgent(config, dir) {
      const agent = await startAgentProcess(config, dir);
      agents.push(agent);
      return agent;
    },
  };
}
