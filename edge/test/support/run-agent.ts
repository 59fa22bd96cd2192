/**
 * Entry point for process-level tests: `node --import tsx edge/test/support/run-agent.ts
 * --config <file>`. One process (no tsx CLI wrapper), so SIGKILL hits the agent itself.
 */
import { runEdgeCommand } from '../../src/cli.js';

process.exitCode = await runEdgeCommand(process.argv.slice(2));
