import { describe, expect, it } from 'vitest';
import { DEFAULT_OCPP_OPTIONS, resolveOcppOptions } from './options.js';

describe('resolveOcppOptions', () => {
  it('is off by default, and merges a section over the defaults', () => {
    expect(resolveOcppOptions()).toEqual(DEFAULT_OCPP_OPTIONS);
    expect(resolveOcppOptions({ enabled: true, idTagKey: 'k'.repeat(16), authorize: { policy: 'list' } })).toMatchObject({ enabled: true, port: 9000, authorize: { policy: 'list', idTags: [] } });
  });

  it('lists every problem at once: a short id tag key, TLS without files, unknown keys and bad values', () => {
    expect(() => resolveOcppOptions({ enabled: true, port: 70_000, tls: { enabled: true }, colour: 'red', authorize: { policy: 'maybe' } })).toThrow(
      expect.objectContaining({
        code: 'FW_CONFIG_INVALID',
        message: expect.stringMatching(/config\.ocpp\.port[\s\S]*config\.ocpp\.authorize\.policy[\s\S]*config\.ocpp\.idTagKey[\s\S]*config\.ocpp\.tls/),
      }),
    );
  });
});
