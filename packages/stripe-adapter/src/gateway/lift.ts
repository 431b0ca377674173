import { okAsync, type Result, type ResultAsync } from 'neverthrow';

/** A settled `Result` as a `ResultAsync`, to continue a chain of calls. */
export function liftAsync<T, E>(result: Result<T, E>): ResultAsync<T, E> {
  return result.asyncAndThen((value) => okAsync(value));
}
