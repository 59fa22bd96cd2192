/**
 * The business clients the cloud accepts events from, and what each may publish. `replace`
 * swaps the whole set at once, so a reload never leaves a half-read file in force.
 */
import type { CommandType, EventType } from '@fleetwire/protocol';
import { CloudError } from '../../errors.js';
import { tokenMatches } from '../../ingest/auth/tokens.js';
import type { ClientEntry } from './client-file.js';
import { tokenClientId } from './client-tokens.js';

export interface ClientIdentity {
  clientId: string;
  /** The event types the client's entry allows. */
  eventTypes: ReadonlySet<EventType>;
  /** The commands the client's entry allows (docs/commands.md). */
  commandTypes: ReadonlySet<CommandType>;
}

export interface ClientRegistry {
  /** Throws FW_AUTH_INVALID or FW_AUTH_REVOKED. */
  authenticateToken(token: string): ClientIdentity;
  replace(clients: readonly ClientEntry[]): void;
  readonly clientCount: number;
}

export function createClientRegistry(clients: readonly ClientEntry[]): ClientRegistry {
  let known = index(clients);
  return {
    authenticateToken(token) {
      const clientId = tokenClientId(token);
      const client = clientId === undefined ? undefined : known.get(clientId);
      if (client === undefined) throw new CloudError('FW_AUTH_INVALID', 'unknown client or malformed credential');
      // Compare against every entry so the time taken does not tell which one matched.
      const matches = (client.entry.tokens ?? []).filter((entry) => tokenMatches(token, entry));
      if (matches.length === 0) throw new CloudError('FW_AUTH_INVALID', 'token does not match');
      if (client.entry.revoked === true) throw new CloudError('FW_AUTH_REVOKED', `client ${client.entry.id} is revoked`);
      if (matches.every((entry) => entry.revoked === true)) {
        throw new CloudError('FW_AUTH_REVOKED', `token of client ${client.entry.id} is revoked`);
      }
      return client.identity;
    },
    replace(next) {
      known = index(next);
    },
    get clientCount() {
      return known.size;
    },
  };
}

function index(clients: readonly ClientEntry[]): Map<string, { entry: ClientEntry; identity: ClientIdentity }> {
  return new Map(
    clients.map((entry) => [entry.id, { entry, identity: { clientId: entry.id, eventTypes: new Set<EventType>(entry.eventTypes), commandTypes: new Set<CommandType>(entry.commandTypes ?? []) } }]),
  );
}
