/**
 * The business clients file: which systems around fleetwire (booking, payment, user services)
 * may publish events, the hashes of their tokens, and the event types each may publish. Kept
 * apart from the edge nodes' auth file: a business client can never send a batch, an edge node
 * never a business event.
 *
 * ```json
 * { "clients": [ { "id": "booking", "eventTypes": ["VehicleBooked", "BookingCancelled"],
 *                  "tokens": [ { "sha256": "…", "issuedAt": "…", "revoked": false } ] } ] }
 * ```
 *
 * Read at start, re-read on SIGHUP and when its mtime or size changes; a file that fails
 * validation is refused whole and the previous clients stay in force.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BUSINESS_EVENT_TYPES, COMMAND_TYPES } from '@fleetwire/protocol';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { CloudError } from '../../errors.js';
import { TokenEntrySchema } from '../../ingest/auth/auth-file.js';
import type { TokenEntry } from '../../ingest/auth/tokens.js';

export const BusinessEventTypeSchema = Type.Union(BUSINESS_EVENT_TYPES.map((type) => Type.Literal(type)));

export const ClientEntrySchema = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    /** The event types this client may publish; anything else is refused `event_type_not_allowed`. */
    eventTypes: Type.Array(BusinessEventTypeSchema, { minItems: 1, uniqueItems: true }),
    /** The commands this client may send to vehicles (POST /v1/commands, docs/commands.md); none when absent. */
    commandTypes: Type.Optional(Type.Array(Type.Union(COMMAND_TYPES.map((type) => Type.Literal(type))), { uniqueItems: true })),
    /** Cuts the client off whatever token it presents. */
    revoked: Type.Optional(Type.Boolean()),
    tokens: Type.Optional(Type.Array(TokenEntrySchema)),
  },
  { additionalProperties: false },
);

export const ClientsFileSchema = Type.Object({ clients: Type.Array(ClientEntrySchema) }, { additionalProperties: false });

export type ClientEntry = Static<typeof ClientEntrySchema>;
export type ClientsFile = Static<typeof ClientsFileSchema>;

const checkClientsFile = TypeCompiler.Compile(ClientsFileSchema);

export function parseClientsFile(text: string, origin: string): ClientsFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new CloudError('FW_AUTH_FILE_INVALID', `${origin}: not JSON`, { cause });
  }
  if (!checkClientsFile.Check(value)) {
    const first = checkClientsFile.Errors(value).First();
    throw new CloudError('FW_AUTH_FILE_INVALID', `${origin}: ${first?.path ?? ''} ${first?.message ?? 'invalid'}`);
  }
  const ids = value.clients.map((client) => client.id);
  const repeated = ids.find((id, index) => ids.indexOf(id) !== index);
  if (repeated !== undefined) throw new CloudError('FW_AUTH_FILE_INVALID', `${origin}: client ${repeated} appears twice`);
  return value;
}

export function readClientsFile(path: string): ClientsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new CloudError('FW_AUTH_FILE_INVALID', `${path}: cannot read`, { cause });
  }
  return parseClientsFile(text, path);
}

/**
 * Adds a token entry, creating the file or the client (which then needs its event types); the
 * file is written to a temp file and renamed, so a reload never sees half a file.
 */
export function addClientToken(file: string, clientId: string, entry: TokenEntry, eventTypes?: ClientEntry['eventTypes']): void {
  const clients: ClientsFile = existsSync(file) ? readClientsFile(file) : { clients: [] };
  const client = clients.clients.find((c) => c.id === clientId);
  if (client !== undefined) {
    client.tokens = [...(client.tokens ?? []), entry];
    if (eventTypes !== undefined) client.eventTypes = eventTypes;
  } else {
    if (eventTypes === undefined || eventTypes.length === 0) {
      throw new CloudError('FW_CONFIG_INVALID', `client ${clientId} is not in ${file}: give --event-types to create it`);
    }
    clients.clients.push({ id: clientId, eventTypes, tokens: [entry] });
  }
  mkdirSync(dirname(file), { recursive: true });
  const temporary = join(dirname(file), `.clients-${process.pid}.json`);
  writeFileSync(temporary, `${JSON.stringify(clients, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}
