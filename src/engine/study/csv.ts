/** The CSV writers are pure and shared with the extension's exports: see src/shared/csv.ts. */
export * from '../../shared/csv';
