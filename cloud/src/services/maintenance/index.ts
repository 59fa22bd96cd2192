export { createMaintenanceService, type MaintenanceService } from './maintenance-service.js';
export { resolveMaintenanceSettings, type MaintenanceServiceOptions } from './options.js';
export { MaintenanceSettingsSchema, type MaintenanceSettings } from './settings.js';
export { applyRecord, createMaintenancePredictor, type MaintenancePredictor } from './maintenance-predictor.js';
export { maintenanceEventId, MAINTENANCE_SOURCE } from './maintenance-event.js';
