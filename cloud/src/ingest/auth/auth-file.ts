/**
 * The auth file: which edge nodes exist, the hashes of their tokens, and the devices each may
 * send for. Read at start, re-read on SIGHUP and whenever its mtime changes, so issuing or
 * revoking a token needs no restart. A file that fails validation is refused as a whole and the
 * previous one stays in force.
 *
 * ```json
 * { "nodes": [ { "id": "node-1", "devices": ["VH-*", "CH-0003"],
 *                "tokens": [ { "sha256": "…", "issuedAt": "…", "revoked": false } ] } ] }
 * ```
 */
import { readFileSync, statSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { CloudError } from '../../errors.js';

export const TokenEntrySchema = Type.Object(
  {
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    issuedAt: Type.String(),
    revoked: Type.Optional(Type.Boolean()),
    label: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const NodeEntrySchema = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    /** Device ids, or prefixes ending in `*`. */
    devices: Type.Array(Type.String({ minLength: 1 })),
    /** Cuts the node off whatever credential it presents (token or client certificate). */
    revoked: Type.Optional(Type.Boolean()),
    tokens: Type.Optional(Type.Array(TokenEntrySchema)),
  },
  { additionalProperties: false },
);

export const AuthFileSchema = Type.Object({ nodes: Type.Array(NodeEntrySchema) }, { additionalProperties: false });

export type NodeEntry = Static<typeof NodeEntrySchema>;
export type AuthFile = Static<typeof AuthFileSchema>;

const checkAuthFile = TypeCompiler.Compile(AuthFileSchema);

export function parseAuthFile(text: string, origin: string): AuthFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new CloudError('FW_AUTH_FILE_INVALID', `${origin}: not JSON`, { cause });
  }
  if (!checkAuthFile.Check(value)) {
    const first = checkAuthFile.Errors(value).First();
    throw new CloudError('FW_AUTH_FILE_INVALID', `${origin}: ${first?.path ?? ''} ${first?.message ?? 'invalid'}`);
  }
  const ids = value.nodes.map((node) => node.id);
  const repeated = ids.find((id, index) => ids.indexOf(id) !== index);
  if (repeated !== undefined) throw new CloudError('FW_AUTH_FILE_INVALID', `${origin}: node ${repeated} appears twice`);
  return value;
}

export function readAuthFile(path: string): AuthFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new CloudError('FW_AUTH_FILE_INVALID', `${path}: cannot read`, { cause });
  }
  return parseAuthFile(text, path);
}

export interface AuthFileWatch {
  stop(): void;
}

/** Calls `onChange` when the file's mtime or size changes, checked every `intervalMs`. */
export function watchAuthFile(path: string, intervalMs: number, onChange: () => void): AuthFileWatch {
  const stamp = (): string => {
    try {
      const stat = statSync(path);
      return `${stat.mtimeMs}:${stat.size}`;
    } catch {
      return 'missing';
    }
  };
  let last = stamp();
  const timer = setInterval(() => {
    const current = stamp();
    if (current === last) return;
    last = current;
    onChange();
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
