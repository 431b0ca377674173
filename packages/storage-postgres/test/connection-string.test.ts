import { userInfo } from 'node:os';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { withDefaultUser } from '../src/database';

describe('a connection string without a user name', () => {
  const saved = { USER: process.env.USER, PGUSER: process.env.PGUSER };

  beforeEach(() => {
    delete process.env.USER;
    delete process.env.PGUSER;
  });

  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) {
        delete process.env[name];
      } else {
        process.env[name] = value;
      }
    }
  });

  test('gets the operating system user, as psql does, when no variable names one', () => {
    const url = new URL(withDefaultUser('postgres://127.0.0.1:5432/test'));

    expect(url.username).toBe(userInfo().username);
    expect(url.pathname).toBe('/test');
  });

  test('keeps a user it names, and leaves the choice to PGUSER or USER when set', () => {
    process.env.PGUSER = 'clinic';

    expect(withDefaultUser('postgres://127.0.0.1:5432/test')).toBe(
      'postgres://127.0.0.1:5432/test',
    );
    expect(withDefaultUser('postgres://billing@127.0.0.1/test')).toBe(
      'postgres://billing@127.0.0.1/test',
    );
  });

  test('leaves a string that is not a URL alone', () => {
    expect(withDefaultUser('/var/run/postgresql test')).toBe('/var/run/postgresql test');
  });
});
