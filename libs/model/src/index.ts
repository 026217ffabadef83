export * from './diagnostics.ts';
export * from './environments.ts';
export * from './naming.ts';
export * from './teams.ts';
export * from './values.ts';
export * from './workspace.ts';
export * from './yaml-file.ts';
export * from './zod-diagnostics.ts';
