/** Where the agent's HTTP surface (health, metrics, photo uploads) listens. */
import { Type } from '@sinclair/typebox';
import { IntegerOption, OptionGroup } from '../settings.js';

export const HttpSettingsSchema = OptionGroup({
  host: Type.String({ default: '0.0.0.0' }),
  port: IntegerOption(8080, 0, 65_535),
});
