import { describe, expect, it } from 'vitest';
import { loadEdgeConfig, redactConfig } from '../../config.js';

const REGISTRY = { devices: { registryFile: '/srv/devices.json' } };
const ID_TAG_KEY = 'u7Kq2-id-tag-key-9xZ';

function problemsOf(ocpp: unknown, devices: object = REGISTRY.devices): string {
  try {
    loadEdgeConfig({ overrides: { devices, ocpp } as never });
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

describe('the ocpp section of the edge config', () => {
  it('is off by default, fills a partial section with the defaults, and keeps the id tag key out of printed configs', () => {
    expect(loadEdgeConfig({ overrides: REGISTRY }).ocpp).toMatchObject({ enabled: false, port: 9000, heartbeatIntervalS: 300, authorize: { policy: 'accept', idTags: [] } });
    const on = loadEdgeConfig({ overrides: { ...REGISTRY, ocpp: { enabled: true, idTagKey: ID_TAG_KEY, authorize: { policy: 'list' } } } as never });
    expect(on.ocpp).toMatchObject({ enabled: true, port: 9000, authorize: { policy: 'list', idTags: [] } });
    expect(redactConfig(on).ocpp.idTagKey).toBe('[redacted]');
  });

  it('lists every problem at once: bad values, unknown keys, a short id tag key, TLS without files, no registry', () => {
    const message = problemsOf({ enabled: true, port: 70_000, tls: { enabled: true }, colour: 'red', authorize: { policy: 'maybe' } }, {});
    for (const problem of ['config.ocpp.port', 'config.ocpp.colour', 'config.ocpp.authorize.policy', 'config.ocpp.idTagKey', 'config.ocpp.tls', 'config.devices.registryFile']) {
      expect(message).toContain(problem);
    }
  });

  it('is an intake of its own: an edge that only serves OCPP chargers is a valid config', () => {
    expect(problemsOf({ enabled: true, idTagKey: ID_TAG_KEY })).toBe('');
    expect(loadEdgeConfig({ overrides: { ...REGISTRY, mqtt: { enabled: false }, ocpp: { enabled: true, idTagKey: ID_TAG_KEY } } as never }).mqtt.enabled).toBe(false);
  });
});
