export { createAnalyticsService, type AnalyticsService } from './analytics-service.js';
export type { AnalyticsServiceOptions } from './options.js';
export { AnalyticsSettingsSchema, type AnalyticsSettings } from './settings.js';
export { analyticsRoutes, type AnalyticsRoutesOptions } from './analytics-routes.js';
