/** The portal's mayday modules: the template's actions (scaffolder) and the apps of the repository (catalog). */
export { scaffolderModuleMayday as default } from './module';
export { catalogModuleMaydayApps } from './catalogModule';
export { createMaydayAppAction } from './actions/app';
export { createMaydayFetchAction } from './actions/fetch';
export { createMaydayPublishAction } from './actions/publish';
