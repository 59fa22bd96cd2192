/**
 * Wires the bus implementations to the contract: a registry of factories by `kind`. The only
 * file that imports both implementations; they import the contract (`bus.ts`) and nothing here.
 */
import { CloudError } from '../errors.js';
import type { Bus, BusDependencies } from './bus.js';
import type { BusConfig } from './config-schema.js';
import { createEmbeddedBus } from './embedded/index.js';
import { createKafkaBus } from './kafka/index.js';

type BusFactory<C extends BusConfig> = (config: C, dependencies: BusDependencies) => Bus;

const BUS_FACTORIES: { [K in BusConfig['kind']]: BusFactory<Extract<BusConfig, { kind: K }>> } = {
  kafka: createKafkaBus,
  embedded: createEmbeddedBus,
};

export function createBus(config: BusConfig, dependencies: BusDependencies = {}): Bus {
  const factory = BUS_FACTORIES[config.kind] as BusFactory<BusConfig> | undefined;
  if (factory === undefined) {
    throw new CloudError('FW_BUS_CONFIG_INVALID', `unknown bus kind: ${String((config as { kind: unknown }).kind)}`);
  }
  return factory(config, dependencies);
}
