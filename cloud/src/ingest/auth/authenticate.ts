/**
 * Who is calling: a bearer token if the request carries one, otherwise the CN of a TLS client
 * certificate that the server verified against its CA (mTLS). Nothing else is trusted — the
 * `nodeId` inside a batch must match the identity found here.
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { CloudError } from '../../errors.js';
import type { NodeIdentity, NodeRegistry } from './node-registry.js';

export function authenticateRequest(request: FastifyRequest, registry: NodeRegistry): NodeIdentity {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] === undefined) throw new CloudError('FW_AUTH_INVALID', 'authorization header is not a bearer token');
    return registry.authenticateToken(match[1]);
  }
  const commonName = verifiedClientCommonName(request.raw.socket as Partial<TLSSocket>);
  if (commonName !== undefined) return registry.authenticateCertificate(commonName);
  throw new CloudError('FW_AUTH_MISSING', 'no bearer token and no verified client certificate');
}

function verifiedClientCommonName(socket: Partial<TLSSocket>): string | undefined {
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return undefined;
  const subject = socket.getPeerCertificate().subject as Record<string, string | string[] | undefined> | undefined;
  const commonName = subject?.CN;
  return typeof commonName === 'string' && commonName.length > 0 ? commonName : undefined;
}
