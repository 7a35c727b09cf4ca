/** Training (issue 16): loss, parameters, optimizers, the train step. @module */
export * from './loss.js';
export * from './optim.js';
export * from './params.js';
export * from './step.js';
export { loadTrainerState, saveTrainedModel, saveTrainerState } from './checkpoint.js';
export * from './data.js';
export * from './svg.js';
