export * from './chart-readme.ts';
export * from './values-table.ts';
export * from './rendered-app-checks.ts';
