export type { ConnectionOptions } from './database';
export {
  type DropSchemaOptions,
  dropSchema,
  type MigrateOptions,
  type MigrationReport,
  migrate,
} from './migrate';
export { MIGRATIONS, type Migration } from './migrations';
export { PostgresStorage, type PostgresStorageOptions } from './postgres-storage';
export { DEFAULT_SCHEMA } from './schema';
