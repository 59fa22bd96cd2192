export { createKafkaBus } from './kafka-bus.js';
export type { KafkaBusConfig } from './options.js';
