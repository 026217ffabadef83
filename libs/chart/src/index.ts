export * from './chart-readme.ts';
export * from './values-table.ts';
