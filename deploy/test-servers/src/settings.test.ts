import { describe, expect, it } from 'vitest';
import { TestServerError } from './errors.js';
import { DEFAULT_PORTS, readTestServerSettings } from './settings.js';

describe('readTestServerSettings', () => {
  it('uses the documented loopback ports and folders by default', () => {
    const settings = readTestServerSettings({ HOME: '/home/tester' });
    expect(settings).toMatchObject({ host: '127.0.0.1', ...DEFAULT_PORTS });
    expect(settings.kafkaPort).toBe(19092);
    expect(settings.runDir).toMatch(/fleetwire-test-servers$/);
  });

  it('takes ports and folders from the environment', () => {
    const settings = readTestServerSettings({
      FLEETWIRE_KAFKA_PORT: '29092',
      FLEETWIRE_MQTT_PORT: '21883',
      FLEETWIRE_TEST_SERVERS_DIR: '/tmp/other-run',
      FLEETWIRE_CACHE_DIR: '/var/cache/fw',
    });
    expect(settings).toMatchObject({ kafkaPort: 29092, mqttPort: 21883, runDir: '/tmp/other-run', cacheDir: '/var/cache/fw' });
    expect(settings.victoriaMetricsPort).toBe(18428);
  });

  it.each(['abc', '80', '70000', '1.5'])('rejects the port %s with a coded error naming the variable', (value) => {
    try {
      readTestServerSettings({ FLEETWIRE_VICTORIA_METRICS_PORT: value });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TestServerError);
      expect((error as TestServerError).code).toBe('FW_TEST_SERVER_SETTINGS_INVALID');
      expect((error as TestServerError).message).toContain('FLEETWIRE_VICTORIA_METRICS_PORT');
    }
  });

  it('rejects two servers on one port', () => {
    expect(() => readTestServerSettings({ FLEETWIRE_MQTT_PORT: '19092' })).toThrow(/must differ/);
  });
});
