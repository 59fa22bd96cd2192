/**
 * `fleetwire edge`: runs the agent until SIGTERM/SIGINT, prints the resolved configuration,
 * produces a device registry entry with a hashed password, and, for the signing side (the booking
 * system, or an operator trying the photo API by hand), makes return-token keys and signs tokens.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { JWK } from 'jose';
import { isDeviceId, isDeviceKind } from '@fleetwire/protocol';
import { ENV_OVERRIDES, loadEdgeConfig, redactConfig } from './config.js';
import { EdgeError, type EdgeErrorCode } from './errors.js';
import { generateReturnKeyPair, issueReturnToken, RETURN_TOKEN_ALGORITHMS, type ReturnSigningKey, type ReturnTokenAlgorithm } from './vision/upload/return-token.js';
import { hashPassword } from './intake/auth/password-hash.js';
import { startEdgeAgent } from './main.js';

const USAGE = `Usage:
  fleetwire edge [--config <file>]          run the edge agent until SIGTERM or SIGINT
  fleetwire edge --print-config [--config <file>]
                                            print the resolved configuration (secrets redacted)
  fleetwire edge hash-password [--id <deviceId> --kind <vehicle|charger>]
                                            read a password from stdin and print its scrypt hash,
                                            or with --id/--kind a device registry entry
  fleetwire edge generate-return-keys --kid <id> --private <file> --jwks <file> [--alg EdDSA|ES256]
                                            for the booking system: write a new signing key (private
                                            JWK, mode 600) and add its public key to the JWKS file the
                                            edges read (vision.returnTokenKeysFile); old keys stay
                                            until removed, so tokens already out keep working
  fleetwire edge issue-return-token --key <private JWK file> --return <id> --booking <id>
                                    --vehicle <id> [--trip <id>] [--ttl <seconds>]
                                            sign a return token with the private key, as the booking
                                            system does (default ttl 3600 s)

Options:
  --config <file>   JSON config file (see docs/edge.md and edge/fleetwire-edge.example.json)
  --print-config    print the configuration after defaults and environment overrides, then exit
  -h, --help        this text

Environment overrides:
${Object.entries(ENV_OVERRIDES)
  .map(([name, path]) => `  ${name.padEnd(30)} ${path}`)
  .join('\n')}`;

const STARTUP_MISTAKES: ReadonlySet<EdgeErrorCode> = new Set([
  'FW_CONFIG_INVALID',
  'FW_CONFIG_UNREADABLE',
  'FW_CREDENTIALS_INVALID',
  'FW_BUFFER_OPTIONS_INVALID',
  'FW_BUFFER_UNUSABLE',
  'FW_VISION_STORE_FAILED',
  'FW_UPLINK_OPTIONS_INVALID',
  'FW_INTAKE_LISTEN_FAILED',
  'FW_VISION_OPTIONS_INVALID',
  'FW_VISION_MODEL_LOAD_FAILED',
  'FW_VISION_MODEL_CONTRACT',
  'FW_VISION_MODEL_REFUSED',
  'FW_RETURN_KEYS_INVALID',
]);

/** An error at start that the operator must fix (said in one line, exit 2), not a bug. */
export function isStartupMistake(error: unknown): error is EdgeError {
  return error instanceof EdgeError && STARTUP_MISTAKES.has(error.code);
}

export async function runEdgeCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'hash-password') return runHashPassword(argv.slice(1));
  if (argv[0] === 'issue-return-token') return runIssueReturnToken(argv.slice(1));
  if (argv[0] === 'generate-return-keys') return runGenerateReturnKeys(argv.slice(1));
  let values: { config?: string; 'print-config'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, 'print-config': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    console.error(`fleetwire edge: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let config;
  try {
    config = loadEdgeConfig({ ...(values.config ? { file: values.config } : {}), env: process.env });
  } catch (error) {
    if (!(error instanceof EdgeError)) throw error;
    console.error(`fleetwire edge: ${error.message}`);
    return 2;
  }
  if (values['print-config']) {
    console.log(JSON.stringify(redactConfig(config), null, 2));
    return 0;
  }
  let agent;
  try {
    agent = await startEdgeAgent(config);
  } catch (error) {
    // Something the operator chose that cannot be used — a file the config names (registry,
    // certificates, return areas, models), buffer options, a port in use — is said in one line,
    // without a stack trace. Anything else is a bug and throws.
    if (!isStartupMistake(error)) throw error;
    console.error(`fleetwire edge: ${error.message}`);
    return 2;
  }
  const signal = await new Promise<NodeJS.Signals>((resolvePromise) => {
    process.once('SIGTERM', () => resolvePromise('SIGTERM'));
    process.once('SIGINT', () => resolvePromise('SIGINT'));
  });
  agent.logger.info({ event: 'edge_agent_stopping', signal }, 'edge_agent_stopping');
  await agent.stop();
  return 0;
}

async function runHashPassword(argv: string[]): Promise<number> {
  let values: { id?: string; kind?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { id: { type: 'string' }, kind: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    console.error(`fleetwire edge hash-password: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if ((values.id === undefined) !== (values.kind === undefined) || (values.id !== undefined && (!isDeviceId(values.id) || !isDeviceKind(values.kind)))) {
    console.error('fleetwire edge hash-password: --id (1–64 of [A-Za-z0-9_-]) and --kind (vehicle or charger) go together');
    return 2;
  }
  // The password comes from stdin so that it stays out of shell history and process lists.
  const password = await readFirstLine();
  if (!password) {
    console.error('fleetwire edge hash-password: no password on stdin');
    return 2;
  }
  const passwordHash = await hashPassword(password);
  console.log(values.id ? JSON.stringify({ id: values.id, kind: values.kind, passwordHash }) : passwordHash);
  return 0;
}

async function runIssueReturnToken(argv: string[]): Promise<number> {
  const fail = (message: string): number => {
    console.error(`fleetwire edge issue-return-token: ${message}`);
    return 2;
  };
  let values: { key?: string; return?: string; booking?: string; vehicle?: string; trip?: string; ttl?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { key: { type: 'string' }, return: { type: 'string' }, booking: { type: 'string' }, vehicle: { type: 'string' }, trip: { type: 'string' }, ttl: { type: 'string' } },
    }));
  } catch (error) {
    return fail(`${(error as Error).message}\n\n${USAGE}`);
  }
  const ids = { returnId: values.return, bookingId: values.booking, vehicleId: values.vehicle };
  const missing = Object.entries(ids).filter(([, id]) => !isDeviceId(id)).map(([name]) => name);
  if (missing.length > 0 || (values.trip !== undefined && !isDeviceId(values.trip))) {
    return fail(`--return, --booking and --vehicle (and --trip when given) must be ids of 1–64 [A-Za-z0-9_-]; check ${[...missing, ...(values.trip === undefined ? [] : ['tripId'])].join(', ')}`);
  }
  const ttl = Number(values.ttl ?? 3600);
  if (!Number.isInteger(ttl) || ttl <= 0) return fail('--ttl must be a positive number of seconds');
  if (values.key === undefined) return fail('--key <private JWK file> is required (generate-return-keys writes one)');
  let key: ReturnSigningKey;
  try {
    key = JSON.parse(readFileSync(values.key, 'utf8')) as ReturnSigningKey;
  } catch (error) {
    return fail(`cannot read the private key ${values.key}: ${(error as Error).message}`);
  }
  if (typeof key.kid !== 'string' || !(RETURN_TOKEN_ALGORITHMS as readonly unknown[]).includes(key.alg) || typeof key.d !== 'string') {
    return fail(`${values.key} is not a private signing key with kid and alg (${RETURN_TOKEN_ALGORITHMS.join(' or ')}); make one with generate-return-keys`);
  }
  const exp = Math.floor(Date.now() / 1000) + ttl;
  console.log(await issueReturnToken(key, { ...(ids as { returnId: string; bookingId: string; vehicleId: string }), ...(values.trip ? { tripId: values.trip } : {}), exp }));
  return 0;
}

async function runGenerateReturnKeys(argv: string[]): Promise<number> {
  const fail = (message: string): number => {
    console.error(`fleetwire edge generate-return-keys: ${message}`);
    return 2;
  };
  let values: { kid?: string; private?: string; jwks?: string; alg?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { kid: { type: 'string' }, private: { type: 'string' }, jwks: { type: 'string' }, alg: { type: 'string' } } }));
  } catch (error) {
    return fail(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (!isDeviceId(values.kid)) return fail('--kid <id> is required: 1–64 of [A-Za-z0-9_-], e.g. the date of the key (booking-2026-12)');
  if (values.private === undefined || values.jwks === undefined) return fail('--private <file> and --jwks <file> are required');
  const alg = values.alg ?? 'EdDSA';
  if (!(RETURN_TOKEN_ALGORITHMS as readonly string[]).includes(alg)) return fail(`--alg must be ${RETURN_TOKEN_ALGORITHMS.join(' or ')}`);
  if (existsSync(values.private)) return fail(`${values.private} exists; a signing key is never overwritten (choose another file)`);
  let jwks: { keys: JWK[] } = { keys: [] };
  if (existsSync(values.jwks)) {
    try {
      jwks = JSON.parse(readFileSync(values.jwks, 'utf8')) as { keys: JWK[] };
    } catch (error) {
      return fail(`cannot read ${values.jwks}: ${(error as Error).message}`);
    }
    // Imported here: return-keys loads jose, which running the agent without vision never needs.
    const { keySetProblems } = await import('./vision/upload/return-keys.js');
    const problems = keySetProblems(jwks);
    if (problems.length > 0) return fail(`${values.jwks}: ${problems.join('; ')}`);
    if (jwks.keys.some((key) => key.kid === values.kid)) return fail(`${values.jwks} already holds a key "${values.kid}": choose a new --kid`);
  }
  const { privateKey, publicKey } = await generateReturnKeyPair(values.kid, alg as ReturnTokenAlgorithm);
  writeFileSync(values.private, `${JSON.stringify(privateKey, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  // Written aside and renamed: an edge reading the file mid-write never sees half of it.
  const next = `${values.jwks}.${process.pid}.tmp`;
  writeFileSync(next, `${JSON.stringify({ keys: [...jwks.keys, publicKey] }, null, 2)}\n`);
  renameSync(next, values.jwks);
  console.log(`signing key ${values.kid} (${alg}) written to ${values.private}; ${values.jwks} now holds ${jwks.keys.length + 1} public key(s): copy it to the edges (vision.returnTokenKeysFile)`);
  return 0;
}

async function readFirstLine(): Promise<string | undefined> {
  const lines = createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return undefined;
}
