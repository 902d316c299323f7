import { ContentTooLarge, InvalidInput, NotFound } from '../common/domain-errors';
import { EntryMissing, LimitExceeded, PathRefused } from '../storage/agent-file.rules';

/** The memory's errors as the REST API's: a refused path is bad input, a limit 413, a missing file 404. */
function translate(error: unknown): never {
  if (error instanceof PathRefused) throw new InvalidInput(error.message);
  if (error instanceof LimitExceeded) throw new ContentTooLarge(error.message);
  if (error instanceof EntryMissing) throw new NotFound(error.message);
  throw error;
}

export function translated<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    translate(error);
  }
}

export async function translatedAsync<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    translate(error);
  }
}
