export * from './lab-config.ts';
export * from './lab.ts';
export { labUp, expectedApplications, type UpOptions, type UpResult } from './up.ts';
export { labStatus, printStatus, type LabStatus, type ApplicationStatus } from './status.ts';
export { labDown, leftovers } from './down.ts';
export { ensureImages, imagePlan, type ImageOutcome } from './images/build-images.ts';
export { dockerInfo } from './docker.ts';
export type { StepRecord } from './steps.ts';
