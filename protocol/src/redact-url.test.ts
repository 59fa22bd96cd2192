import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact-url.js';

describe('redactUrl', () => {
  it.each([
    ['http://admin:s3cret@tsdb.example:8428', 'http://[redacted]@tsdb.example:8428/'],
    ['https://token-only@influx.example/prefix?org=fleet', 'https://[redacted]@influx.example/prefix?org=fleet'],
    // The last "@" ends the user info, so a password with an unescaped "@" is hidden whole.
    ['mqtt://user:p@ss@broker.local:1883', 'mqtt://[redacted]@broker.local:1883'],
    ['mqtts://user:pw@[::1]:8883', 'mqtts://[redacted]@[::1]:8883'],
    // Unparseable (an unescaped "/" in the password): everything up to the last "@" goes.
    ['http://user:pa/ss@tsdb.example', 'http://[redacted]@tsdb.example'],
    ['user:pass@host', '[redacted]@host'],
  ])('hides the credentials of %s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
    expect(redactUrl(url)).not.toMatch(/s3cret|pass|pw|token-only|p@ss|pa\/ss/);
  });

  it.each(['http://127.0.0.1:8428', 'mqtt://broker.local:1883', 'https://tsdb.example/base/?x=1', 'not a url'])(
    'leaves %s as it is',
    (url) => {
      expect(redactUrl(url)).toBe(url);
    },
  );
});
