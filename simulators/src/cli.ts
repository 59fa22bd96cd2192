/** The simulators' commands, registered by deploy/src/cli as `fleetwire simulate` and `fleetwire loadgen`. */
export { runSimulateCommand } from './cli/simulate-command.js';
export { runLoadCommand } from './cli/load-command.js';
