/**
 * `fleetwire cloud …`: run the cloud service, or issue an edge node token.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { authFileOf, ENV_VARIABLES, loadCloudConfig } from './config.js';
import { CloudError, type CloudErrorCode } from './errors.js';
import { readAuthFile, type AuthFile } from './ingest/auth/auth-file.js';
import { issueToken, type TokenEntry } from './ingest/auth/tokens.js';

const USAGE = `fleetwire cloud — ingest edge batches into the bus and the time-series DB

Usage:
  fleetwire cloud [serve] [--config <file>]
  fleetwire cloud issue-token --node <id> [--devices <list>] [--label <text>] [--write] [--config <file>]

serve (default)   run ingest + bus + time-series sink until SIGINT/SIGTERM
issue-token       print a new token for an edge node (shown once) and the hash entry to store;
                  --write adds the entry to the auth file (creating the node with --devices,
                  a comma list of device ids or prefixes ending in *). The file reloads itself.

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
    console.log(USAGE);
    return 0;
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
