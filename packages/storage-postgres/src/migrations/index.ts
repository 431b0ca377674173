import { INITIAL_SCHEMA } from './0001-initial-schema';

export interface Migration {
  /** Applied in ascending order; each version once per schema. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', sql: INITIAL_SCHEMA },
];
