export * from './helm.ts';
export * from './normalize.ts';
export * from './render-app.ts';
export * from './pool.ts';
