export * from './control-plane.ts';
export * from './crds.ts';
export * from './kube-client.ts';
export * from './processes.ts';
