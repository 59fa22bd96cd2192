/**
 * The uplink's TLS material: a private CA bundle that signs the cloud's server certificate, and
 * this node's client certificate + key (mTLS; the cloud reads the node id from the CN). Read
 * once at start from the PEM files the config names; every problem is listed at once. The key
 * stays in memory only — it is never logged or printed (summaries name the certificate, not it).
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { EdgeError } from '../errors.js';

/** PEM paths as in `config.cloud`; '' = not configured. */
export interface UplinkTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** PEM bytes handed to the HTTPS agent. Absent `ca` = Node's public roots; absent `cert`/`key` = no client certificate. */
export interface UplinkTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** What may be logged about the material: never the key. */
export interface UplinkTlsSummary {
  caCertificates: number;
  clientCertificate?: { subject: string; issuer: string; validTo: string };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Reads and checks the files. Throws FW_CONFIG_UNREADABLE when any file cannot be read, else
 * FW_CONFIG_INVALID when any content is wrong (not PEM, a key that does not belong to the
 * certificate, a certificate whose CN is not the node id while no token is configured).
 * Returns undefined when no file is configured. `files` come from a loaded config, which has
 * already refused a certFile without its keyFile (config.ts, cloudChecks).
 */
export function readUplinkTls(files: UplinkTlsFiles, identity: { nodeId: string; hasToken: boolean }): UplinkTls | undefined {
  const unreadable: string[] = [];
  const read = (option: keyof UplinkTlsFiles): Buffer | undefined => {
    const path = files[option];
    if (path === '') return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      unreadable.push(`config.cloud.${option}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      return undefined;
    }
  };
  const tls: UplinkTls = {};
  const ca = read('caFile');
  const cert = read('certFile');
  const key = read('keyFile');
  if (unreadable.length > 0) throw configError('FW_CONFIG_UNREADABLE', unreadable);
  if (ca === undefined && cert === undefined && key === undefined) return undefined;

  const problems: string[] = [];
  if (ca !== undefined) {
    const certificates = pemCertificates(ca);
    if (certificates.length === 0) problems.push(`config.cloud.caFile: ${files.caFile} holds no PEM certificate`);
    certificates.forEach((pem, i) => {
      if (parseCertificate(pem) === undefined) problems.push(`config.cloud.caFile: certificate ${i + 1} in ${files.caFile} does not parse`);
    });
    tls.ca = ca;
  }
  if (cert !== undefined && key !== undefined) {
    const certificate = parseCertificate(pemCertificates(cert)[0] ?? '');
    const privateKey = parseKey(key);
    if (certificate === undefined) problems.push(`config.cloud.certFile: ${files.certFile} holds no PEM certificate`);
    if (privateKey === undefined) problems.push(`config.cloud.keyFile: ${files.keyFile} holds no readable unencrypted PEM private key`);
    if (certificate !== undefined && privateKey !== undefined && !certificate.checkPrivateKey(privateKey)) {
      problems.push(`config.cloud.keyFile: ${files.keyFile} is not the key of the certificate in ${files.certFile}`);
    }
    const commonName = certificate === undefined ? undefined : commonNameOf(certificate);
    if (certificate !== undefined && !identity.hasToken && commonName !== identity.nodeId) {
      problems.push(`config.cloud.certFile: without a token the cloud takes the node id from the certificate's CN, which is ${JSON.stringify(commonName ?? '')}, not nodeId ${JSON.stringify(identity.nodeId)}`);
    }
    tls.cert = cert;
    tls.key = key;
  }
  if (problems.length > 0) throw configError('FW_CONFIG_INVALID', problems);
  return tls;
}

export function summarizeUplinkTls(tls: UplinkTls): UplinkTlsSummary {
  const summary: UplinkTlsSummary = { caCertificates: tls.ca === undefined ? 0 : pemCertificates(tls.ca).length };
  const certificate = tls.cert === undefined ? undefined : parseCertificate(pemCertificates(tls.cert)[0] ?? '');
  if (certificate !== undefined) {
    summary.clientCertificate = { subject: oneLine(certificate.subject), issuer: oneLine(certificate.issuer), validTo: certificate.validTo };
  }
  return summary;
}

function pemCertificates(bytes: Buffer): string[] {
  return bytes.toString('utf8').match(PEM_CERTIFICATE) ?? [];
}

function parseCertificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function parseKey(bytes: Buffer): KeyObject | undefined {
  try {
    return createPrivateKey({ key: bytes, format: 'pem' });
  } catch {
    return undefined;
  }
}

function commonNameOf(certificate: X509Certificate): string | undefined {
  return /(?:^|\n)CN=([^\n]*)/.exec(certificate.subject)?.[1];
}

function oneLine(distinguishedName: string): string {
  return distinguishedName.split('\n').join(', ');
}

function configError(code: 'FW_CONFIG_UNREADABLE' | 'FW_CONFIG_INVALID', problems: string[]): EdgeError {
  return new EdgeError(code, `invalid uplink TLS configuration:\n  - ${problems.join('\n  - ')}`);
}
