import { describe, expect, it } from 'vitest';
import { resolveCloudConfig } from '../../config.js';

describe('the maintenance section of the cloud config', () => {
  it('is on by default', () => {
    expect(resolveCloudConfig({}).maintenance).toMatchObject({ enabled: true });
  });

  it('refuses an unknown key instead of ignoring a typo', () => {
    expect(() => resolveCloudConfig({ maintenance: { enabeld: false } })).toThrow(
      expect.objectContaining({ code: 'FW_CONFIG_INVALID', message: 'invalid cloud configuration:\n  - /maintenance/enabeld: unknown key' }),
    );
  });
});
