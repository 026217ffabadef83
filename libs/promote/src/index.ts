export * from './format.ts';
export * from './image-order.ts';
export * from './promote-app.ts';
