import { describe, expect, it } from 'vitest';
import { describeNetworkError } from './network-error.js';

const coded = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('describeNetworkError', () => {
  it('names an untrusted cloud certificate and what to check', () => {
    const failure = describeNetworkError(coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'));
    expect(failure.tls).toBe(true);
    expect(failure.message).toBe("tls: the cloud's certificate is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate); check cloud.caFile and cloud.url");
  });

  it('names a handshake the cloud refused (our client certificate)', () => {
    const failure = describeNetworkError(coded('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'tlsv1 alert unknown ca'));
    expect(failure).toMatchObject({ tls: true });
    expect(failure.message).toContain('check cloud.certFile / cloud.keyFile');
    expect(describeNetworkError(coded('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'certificate required')).message).toContain('the cloud refused the handshake');
    const reset = coded('ECONNRESET', 'socket hang up');
    expect(describeNetworkError(reset, { freshTlsConnectionWithClientCertificate: true })).toMatchObject({ tls: true, message: expect.stringContaining('probably refused the client certificate') });
    expect(describeNetworkError(reset, { freshTlsConnectionWithClientCertificate: false })).toEqual({ tls: false, message: 'ECONNRESET: socket hang up' });
  });

  it('keeps plain network errors as they are, reading a cause when the error has no code', () => {
    expect(describeNetworkError(coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'))).toEqual({ tls: false, message: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1' });
    expect(describeNetworkError(new Error('fetch failed', { cause: coded('ECONNRESET', 'socket hang up') }))).toEqual({ tls: false, message: 'ECONNRESET: socket hang up' });
    expect(describeNetworkError(new Error('no answer within 5 ms'))).toEqual({ tls: false, message: 'no answer within 5 ms' });
  });
});
