/** Moved to `src/validate.ts` (one validator for every layer); kept so existing imports still work. */
export * from '../validate.js';
