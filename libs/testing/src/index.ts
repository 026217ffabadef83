export * from './temp-workspace.ts';
export * from './remote-cache.ts';
export * from './free-port.ts';
