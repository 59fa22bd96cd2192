/**
 * `fleetwire cloud …`: run the cloud service, issue an edge node token, lay out the Kafka topics,
 * or inspect and replay dead letters.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DLQ_USAGE, runDlqCommand, runTopicsCommand, TOPICS_USAGE } from './bus/bus-commands.js';
import { authFileOf, busConfigOf, ENV_VARIABLES, loadCloudConfig } from './config.js';
import { CloudError, type CloudErrorCode } from './errors.js';
import { readAuthFile, type AuthFile } from './ingest/auth/auth-file.js';
import { issueToken, type TokenEntry } from './ingest/auth/tokens.js';

const USAGE = `fleetwire cloud — ingest edge batches into the bus and the time-series DB

Usage:
  fleetwire cloud [serve] [--config <file>]
  fleetwire cloud issue-token --node <id> [--devices <list>] [--label <text>] [--write] [--config <file>]
  ${TOPICS_USAGE.split('\n')[0]}
  ${DLQ_USAGE.split('\n')[0]}

serve (default)   run ingest + bus + time-series sink until SIGINT/SIGTERM
issue-token       print a new token for an edge node (shown once) and the hash entry to store;
                  --write adds the entry to the auth file (creating the node with --devices,
                  a comma list of device ids or prefixes ending in *). The file reloads itself.
topics            Kafka only: \`plan\` prints the topic layout beside what the cluster has, \`apply\`
                  creates what is missing (see \`fleetwire cloud topics --help\`)
dlq               dead letters: \`list\`, \`show <partition/offset>\`, \`replay\` chosen ones to their
                  source topic, filtered by --reason, --topic, --group, --id, --letter, --since, --until
                  (see \`fleetwire cloud dlq --help\`)

Options:
  --config <file>   JSON config (see docs/cloud.md); environment overrides:
                    ${ENV_VARIABLES.join(', ')}
  -h, --help        this text`;

/**
 * What the operator chose and the service cannot use — the config, the auth file, bus or sink
 * settings, a busy port, an unusable embedded log — is said in one line with exit 2, without a
 * stack trace. Anything else is a bug and throws.
 */
const OPERATOR_MISTAKES = new Set<CloudErrorCode>([
  'FW_CONFIG_INVALID', 'FW_AUTH_FILE_INVALID', 'FW_BUS_CONFIG_INVALID', 'FW_SINK_CONFIG_INVALID',
  'FW_BUS_AUTH_FAILED', 'FW_BUS_TLS_FAILED', 'FW_BUS_TOPICS_MISSING',
]);

export function isOperatorMistake(error: unknown): error is CloudError {
  return error instanceof CloudError && OPERATOR_MISTAKES.has(error.code);
}

export async function runCloudCommand(argv: string[]): Promise<number> {
  try {
    return await runCloud(argv);
  } catch (error) {
    if (!isOperatorMistake(error)) throw error;
    console.error(`fleetwire cloud: ${error.message}`);
    return 2;
  }
}

async function runCloud(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        node: { type: 'string' },
        devices: { type: 'string' },
        label: { type: 'string' },
        write: { type: 'boolean', default: false },
        reason: { type: 'string' },
        topic: { type: 'string' },
        group: { type: 'string' },
        id: { type: 'string' },
        letter: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        all: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    console.error(`fleetwire cloud: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command = 'serve', ...extra] = positionals;
  if (values.help) {
    console.log(command === 'topics' ? TOPICS_USAGE : command === 'dlq' ? DLQ_USAGE : USAGE);
    return 0;
  }
  if (command === 'topics' || command === 'dlq') {
    const config = loadCloudConfig(values.config === undefined ? {} : { file: values.config });
    const print = (text: string): void => console.log(text);
    if (command === 'topics') return runTopicsCommand(busConfigOf(config), extra[0], print);
    return runDlqCommand(busConfigOf(config), extra[0], extra[1], values, print);
  }
  if (extra.length > 0 || !['serve', 'issue-token'].includes(command)) {
    console.error(`fleetwire cloud: unexpected '${[command, ...extra].join(' ')}'\n\n${USAGE}`);
    return 2;
  }
  const config = loadCloudConfig(values.config === undefined ? {} : { file: values.config });
  if (command === 'serve') return serve(config);
  if (values.node === undefined) {
    console.error('fleetwire cloud issue-token: --node <id> is required');
    return 2;
  }
  const { token, entry } = issueToken(values.node);
  const stored: TokenEntry = values.label === undefined ? entry : { ...entry, label: values.label };
  console.log(`token for node ${values.node} (shown once; configure it as the edge's uplink token):\n${token}\n`);
  console.log(`entry for nodes[id=${values.node}].tokens in the auth file:\n${JSON.stringify(stored)}`);
  if (values.write) {
    const file = authFileOf(config);
    addTokenToAuthFile(file, values.node, stored, values.devices?.split(',').map((d) => d.trim()).filter(Boolean));
    console.log(`\nadded to ${file}`);
  }
  return 0;
}

async function serve(config: ReturnType<typeof loadCloudConfig>): Promise<number> {
  const { startCloud } = await import('./main.js');
  const cloud = await startCloud(config);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await cloud.stop();
  return 0;
}

/** Adds a token entry, creating the file or the node; written to a temp file and renamed so a reload never sees half a file. */
export function addTokenToAuthFile(file: string, nodeId: string, entry: TokenEntry, devices?: string[]): void {
  const auth: AuthFile = existsSync(file) ? readAuthFile(file) : { nodes: [] };
  const node = auth.nodes.find((n) => n.id === nodeId);
  if (node !== undefined) {
    node.tokens = [...(node.tokens ?? []), entry];
    if (devices !== undefined) node.devices = devices;
  } else {
    if (devices === undefined || devices.length === 0) {
      throw new CloudError('FW_CONFIG_INVALID', `node ${nodeId} is not in ${file}: give --devices to create it`);
    }
    auth.nodes.push({ id: nodeId, devices, tokens: [entry] });
  }
  mkdirSync(dirname(file), { recursive: true });
  const temporary = join(dirname(file), `.auth-${process.pid}.json`);
  writeFileSync(temporary, `${JSON.stringify(auth, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}
