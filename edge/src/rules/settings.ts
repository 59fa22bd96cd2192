/** The local rules' options, with their defaults (docs/edge.md, "Local rules"). */
import { Type } from '@sinclair/typebox';
import { IntegerOption, OptionGroup } from '../settings.js';

export const RulesSettingsSchema = OptionGroup({
  batteryLow: OptionGroup({ enabled: Type.Boolean({ default: true }), thresholdPct: IntegerOption(20, 1, 99), hysteresisPct: IntegerOption(5, 1, 50) }),
  chargerFaulted: OptionGroup({ enabled: Type.Boolean({ default: true }) }),
});
