export { createFleetService, type AppliedListener, type FleetService } from './fleet-service.js';
export type { FleetServiceOptions } from './options.js';
export { FleetSettingsSchema, type FleetSettings } from './settings.js';
export { fleetRoutes, type FleetRoutesOptions } from './fleet-routes.js';
export { isLoopbackHost } from './read-token.js';
export { applyRecord } from './apply-record.js';
export { createFleetState, type FleetState } from './fleet-state.js';
export type { FleetReader } from './fleet-views.js';
