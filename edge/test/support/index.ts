/**
 * @fleetwire/edge/testing — what other packages' tests need from the edge's test support: the
 * edge agent run as a child process from its own configuration file. Test code only.
 */
export { AGENT_ENTRY, startAgentProcess, type AgentProcess } from './agent-process.js';
export { spawnMosquitto } from '../../bench/peer-mosquitto.js';
