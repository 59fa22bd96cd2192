export { createEmbeddedBus } from './embedded-bus.js';
export type { EmbeddedBusConfig } from './options.js';
