/**
 * The edge nodes the cloud accepts and how each proves who it is: a bearer token (hashed in the
 * auth file) or a TLS client certificate whose CN is the node id. `replace` swaps the whole set
 * at once, so a reload never leaves a half-read file in force.
 */
import { CloudError } from '../../errors.js';
import { compileDeviceAcl, type DeviceAcl } from '../device-acl.js';
import type { NodeEntry } from './auth-file.js';
import { tokenMatches, tokenNodeId } from './tokens.js';

export interface NodeIdentity {
  nodeId: string;
  /** Whether the node may send records for this device. */
  servesDevice: DeviceAcl;
  via: 'token' | 'certificate';
}

export interface NodeRegistry {
  /** Throws FW_AUTH_INVALID or FW_AUTH_REVOKED. */
  authenticateToken(token: string): NodeIdentity;
  /** For a client certificate the TLS layer already verified against the configured CA. */
  authenticateCertificate(commonName: string): NodeIdentity;
  replace(nodes: readonly NodeEntry[]): void;
  readonly nodeCount: number;
}

interface KnownNode {
  entry: NodeEntry;
  servesDevice: DeviceAcl;
}

export function createNodeRegistry(nodes: readonly NodeEntry[]): NodeRegistry {
  let known = index(nodes);

  const find = (nodeId: string | undefined): KnownNode => {
    const node = nodeId === undefined ? undefined : known.get(nodeId);
    if (node === undefined) throw new CloudError('FW_AUTH_INVALID', 'unknown node or malformed credential');
    return node;
  };
  const refuseRevoked = (node: KnownNode): void => {
    if (node.entry.revoked === true) throw new CloudError('FW_AUTH_REVOKED', `node ${node.entry.id} is revoked`);
  };

  return {
    authenticateToken(token) {
      const node = find(tokenNodeId(token));
      // Compare against every entry so the time taken does not tell which one matched.
      const matches = (node.entry.tokens ?? []).filter((entry) => tokenMatches(token, entry));
      if (matches.length === 0) throw new CloudError('FW_AUTH_INVALID', 'token does not match');
      refuseRevoked(node);
      if (matches.every((entry) => entry.revoked === true)) {
        throw new CloudError('FW_AUTH_REVOKED', `token of node ${node.entry.id} is revoked`);
      }
      return { nodeId: node.entry.id, servesDevice: node.servesDevice, via: 'token' };
    },
    authenticateCertificate(commonName) {
      const node = find(commonName);
      refuseRevoked(node);
      return { nodeId: node.entry.id, servesDevice: node.servesDevice, via: 'certificate' };
    },
    replace(next) {
      known = index(next);
    },
    get nodeCount() {
      return known.size;
    },
  };
}

function index(nodes: readonly NodeEntry[]): Map<string, KnownNode> {
  return new Map(nodes.map((entry) => [entry.id, { entry, servesDevice: compileDeviceAcl(entry.devices) }]));
}
