/**
 * Where the agent's HTTP listeners are: `http`, the operator's (health, readiness, metrics), on
 * loopback by default; `photoApi`, the mobile app's (return photos, with vision on), on every
 * interface by default and with TLS available. Split so that opening the photo API to phones
 * never exposes metrics and probes, and a scrape never needs the public port.
 */
import { Type } from '@sinclair/typebox';
import { IntegerOption, OptionGroup, PathOption } from '../settings.js';

export const HttpSettingsSchema = OptionGroup({
  host: Type.String({ default: '127.0.0.1' }),
  port: IntegerOption(8080, 0, 65_535),
});

export const PhotoApiSettingsSchema = OptionGroup({
  host: Type.String({ default: '0.0.0.0' }),
  port: IntegerOption(8081, 0, 65_535),
  tls: OptionGroup({
    enabled: Type.Boolean({ default: false }),
    certFile: PathOption(),
    keyFile: PathOption(),
  }),
});
