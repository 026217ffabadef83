export * from './helm.ts';
export * from './engine.ts';
export * from './normalize.ts';
export * from './render-app.ts';
export * from './pool.ts';
