export * from './argocd.ts';
export * from './discovery.ts';
export * from './gitops-config.ts';
export * from './path-match.ts';
export * from './tree-writer.ts';
