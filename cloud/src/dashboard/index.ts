export { createDashboardFeed, type DashboardFeed } from './dashboard-feed.js';
export { COMMAND_LOG_CHANGED } from './live-feed.js';
export { dashboardRoutes, DASHBOARD_PATH, DASHBOARD_API_PREFIX, type DashboardRoutesOptions } from './dashboard-routes.js';
export { DashboardSettingsSchema, type DashboardSettings } from './settings.js';
export { EMPTY_SITE_MAP, parseSiteMap, readSiteMap, type SiteMap } from './site-map.js';
export { createTsdbHistory, type HistoryQuery } from './tsdb-history.js';
