export { InMemoryStorage } from './in-memory-storage';
