// The contract between the controller, agents and clients: curated exports only.
export * from './study-spec.js';
export * from './messages.js';
export { validateWithDefaults, formatFieldErrors, toDottedPath, type FieldError, type Validated } from './validate.js';
