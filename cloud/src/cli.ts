/**
 * `fleetwire cloud …`: run the cloud service, issue an edge node or business client token, verify
 * the audit trail, lay out the Kafka topics, or inspect and replay dead letters.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { BUSINESS_EVENT_TYPES } from '@fleetwire/protocol';
import { recordCredentialIssued, verifyAuditLog } from './audit/audit-command.js';
import { addClientToken, type ClientEntry } from './business-events/clients/client-file.js';
import { issueClientToken } from './business-events/clients/client-tokens.js';
import { DLQ_USAGE, runDlqCommand, runTopicsCommand, TOPICS_USAGE } from './bus/bus-commands.js';
import { auditLogOf, authFileOf, busConfigOf, clientsFileOf, ENV_VARIABLES, loadCloudConfig, type CloudConfig } from './config.js';
import { CloudError, type CloudErrorCode } from './errors.js';
import { readAuthFile, type AuthFile } from './ingest/auth/auth-file.js';
import { issueToken, type TokenEntry } from './ingest/auth/tokens.js';

const USAGE = `fleetwire cloud — ingest edge batches into the bus and the time-series DB

Usage:
  fleetwire cloud [serve] [--config <file>]
  fleetwire cloud issue-token --node <id> [--devices <list>] [--label <text>] [--write] [--config <file>]
  fleetwire cloud issue-client-token --client <id> [--event-types <list>] [--label <text>] [--write] [--config <file>]
  fleetwire cloud audit verify [--head <seq:hash>] [--config <file>]
  ${TOPICS_USAGE.split('\n')[0]}
  ${DLQ_USAGE.split('\n')[0]}

serve (default)   run ingest + bus + time-series sink until SIGINT/SIGTERM
issue-token       print a new token for an edge node (shown once) and the hash entry to store;
                  --write adds the entry to the auth file (creating the node with --devices,
                  a comma list of device ids or prefixes ending in *). The file reloads itself.
issue-client-token
                  print a new token for a business system (booking, payment, …) to publish
                  events with (POST /v1/events; shown once) and the hash entry to store;
                  --write adds it to the business clients file (creating the client with
                  --event-types, a comma list of ${BUSINESS_EVENT_TYPES.join(', ')}).
                  Both token commands record the issuance in the audit trail.
audit verify      check every link of the audit trail's hash chain; exit 0 and print the head
                  when intact, exit 3 listing each modified, missing or inserted entry;
                  --head checks that a head printed earlier is still in the log unchanged.
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
        client: { type: 'string' },
        'event-types': { type: 'string' },
        head: { type: 'string' },
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
  const audit = command === 'audit' && extra.length === 1 && extra[0] === 'verify';
  if ((extra.length > 0 && !audit) || !['serve', 'issue-token', 'issue-client-token', 'audit'].includes(command) || (command === 'audit' && !audit)) {
    console.error(`fleetwire cloud: unexpected '${[command, ...extra].join(' ')}'\n\n${USAGE}`);
    return 2;
  }
  const config = loadCloudConfig(values.config === undefined ? {} : { file: values.config });
  if (command === 'serve') return serve(config);
  if (command === 'audit') return verifyAuditLog(auditLogOf(config), values.head, (line) => console.log(line));
  if (command === 'issue-client-token') return issueClient(config, values);
  if (values.node === undefined) {
    console.error('fleetwire cloud issue-token: --node <id> is required');
    return 2;
  }
  const { token, entry } = issueToken(values.node);
  const stored: TokenEntry = values.label === undefined ? entry : { ...entry, label: values.label };
  console.log(`token for node ${values.node} (shown once; configure it as the edge's uplink token):\n${token}\n`);
  console.log(`entry for nodes[id=${values.node}].tokens in the auth file:\n${JSON.stringify(stored)}`);
  const file = authFileOf(config);
  if (values.write) {
    addTokenToAuthFile(file, values.node, stored, values.devices?.split(',').map((d) => d.trim()).filter(Boolean));
    console.log(`\nadded to ${file}`);
  }
  if (config.audit.enabled) recordCredentialIssued(auditLogOf(config), `node:${values.node}`, { ...stored, written: values.write, ...(values.write ? { file } : {}) });
  return 0;
}

function issueClient(config: CloudConfig, values: { client?: string; 'event-types'?: string; label?: string; write: boolean }): number {
  if (values.client === undefined) {
    console.error('fleetwire cloud issue-client-token: --client <id> is required');
    return 2;
  }
  const eventTypes = values['event-types']?.split(',').map((t) => t.trim()).filter(Boolean);
  const unknown = eventTypes?.filter((type) => !(BUSINESS_EVENT_TYPES as readonly string[]).includes(type)) ?? [];
  if (unknown.length > 0) {
    console.error(`fleetwire cloud issue-client-token: not a business event type: ${unknown.join(', ')} (one of ${BUSINESS_EVENT_TYPES.join(', ')})`);
    return 2;
  }
  const { token, entry } = issueClientToken(values.client);
  const stored: TokenEntry = values.label === undefined ? entry : { ...entry, label: values.label };
  console.log(`token for business client ${values.client} (shown once; send it as authorization: Bearer …):\n${token}\n`);
  console.log(`entry for clients[id=${values.client}].tokens in the business clients file:\n${JSON.stringify(stored)}`);
  const file = clientsFileOf(config);
  if (values.write) {
    addClientToken(file, values.client, stored, eventTypes as ClientEntry['eventTypes'] | undefined);
    console.log(`\nadded to ${file}`);
  }
  if (config.audit.enabled) recordCredentialIssued(auditLogOf(config), `client:${values.client}`, { ...stored, written: values.write, ...(values.write ? { file } : {}) });
  return 0;
}

async function serve(config: CloudConfig): Promise<number> {
  const { startCloud, createCloudLogger } = await import('./main.js');
  const { startCloudProcesses } = await import('./cloud-processes.js');
  const cloud = config.http.processes > 1
    ? await startCloudProcesses(config, createCloudLogger(config.logLevel))
    : await startCloud(config);
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
