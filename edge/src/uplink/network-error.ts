/**
 * What a failed HTTP(S) exchange tells the operator — a plain function over the error. TLS
 * failures get a sentence saying which side distrusts which certificate and what to check: they
 * are configuration problems that look like network errors and never resolve by waiting.
 */

export interface NetworkFailure {
  /** The error code (ECONNREFUSED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, …) and what it means. */
  message: string;
  /** The TLS handshake or certificate check failed. */
  tls: boolean;
}

/** Node's codes for a server certificate this node does not trust. */
const SERVER_CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Where the error happened: a new TLS connection that presented a client certificate. */
export interface NetworkErrorContext {
  freshTlsConnectionWithClientCertificate?: boolean;
}

export function describeNetworkError(error: unknown, context: NetworkErrorContext = {}): NetworkFailure {
  const { code, message } = codeAndMessage(error);
  if (SERVER_CERTIFICATE_CODES.has(code)) {
    return { tls: true, message: `tls: the cloud's certificate is not trusted (${code}: ${message}); check cloud.caFile and cloud.url` };
  }
  // OpenSSL alerts sent by the server: it refused our client certificate or sent none we accept.
  if (/^ERR_SSL_(TLSV1\d?|SSLV3)_ALERT_/.test(code)) {
    return { tls: true, message: `tls: the cloud refused the handshake (${code}: ${message}); check cloud.certFile / cloud.keyFile and the CA the cloud trusts` };
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO') {
    return { tls: true, message: `tls: handshake failed (${code}: ${message}); is cloud.url https:// on a TLS port?` };
  }
  // With TLS 1.3 the server checks the client certificate after the client's side of the
  // handshake is done: a refusal often reaches us only as a reset of the new connection.
  if (context.freshTlsConnectionWithClientCertificate === true && (code === 'ECONNRESET' || code === 'EPIPE')) {
    return { tls: true, message: `tls: the cloud closed a new connection before answering (${code}: ${message}); it probably refused the client certificate: check cloud.certFile / cloud.keyFile and the CA the cloud trusts` };
  }
  return { tls: false, message: code === '' ? message : `${code}: ${message}` };
}

function codeAndMessage(error: unknown): { code: string; message: string } {
  const value = error as { code?: unknown; message?: unknown; cause?: unknown } | null | undefined;
  const code = typeof value?.code === 'string' ? value.code : '';
  const message = typeof value?.message === 'string' ? value.message : String(error);
  if (code === '' && value?.cause !== undefined) return codeAndMessage(value.cause);
  return { code, message };
}
