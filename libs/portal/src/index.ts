export * from './org-entities.ts';
export * from './template-form.ts';
export * from './portal-files.ts';
