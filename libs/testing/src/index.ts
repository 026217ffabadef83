export * from './temp-workspace.ts';
