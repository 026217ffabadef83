export * from './admission-policy.ts';
export * from './lint-app.ts';
export * from './lint-report.ts';
export * from './manifest-schema.ts';
export * from './resource-scope.ts';
export * from './strict-schema.ts';
export * from './values-rules.ts';
export * from './waivers.ts';
