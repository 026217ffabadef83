export * from './tree-writer.ts';
