/** Commands to vehicles, the cloud side (docs/commands.md). */
export { commandRoutes, downlinkRoutes, commandView, COMMANDS_PATH, type CommandRoutesOptions, type DownlinkRoutesOptions } from './command-routes.js';
export { createCommandService, type CommandService, type CommandRequest } from './command-service.js';
export { openCloudCommandStore, type CloudCommandStore, type CommandRow, type CommandStatus } from './command-store.js';
export { CommandsSettingsSchema, type CommandsSettings } from './settings.js';
