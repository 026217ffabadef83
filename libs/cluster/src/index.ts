export * from './control-plane.ts';
export * from './crds.ts';
export * from './kube-client.ts';
export * from './processes.ts';
export * from './admission.ts';
export * from './argocd.ts';
export * from './git-server.ts';
