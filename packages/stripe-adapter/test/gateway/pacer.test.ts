import { describe, expect, test } from 'vitest';
import { RequestPacer } from '../../src/gateway/pacer';

/** A pacer on a hand-moved clock whose sleeps move the clock. */
function pacedAt(requestsPerSecond: number, burst?: number) {
  let now = 0;
  const starts: number[] = [];
  const pacer = new RequestPacer({
    requestsPerSecond,
    burst,
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  });

  const send = async () => {
    await pacer.take();
    starts.push(Math.round(now));
  };

  return {
    starts,
    send,
    wait: (ms: number) => {
      now += ms;
    },
  };
}

describe('RequestPacer', () => {
  test('spaces calls evenly at the rate', async () => {
    const pacer = pacedAt(20);

    for (let call = 0; call < 5; call += 1) {
      await pacer.send();
    }

    expect(pacer.starts).toEqual([0, 50, 100, 150, 200]);
  });

  test('concurrent callers queue for successive slots', async () => {
    let now = 0;
    const waits: number[] = [];
    const pacer = new RequestPacer({
      requestsPerSecond: 10,
      now: () => now,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });

    await Promise.all([pacer.take(), pacer.take(), pacer.take(), pacer.take()]);
    now = 1000;
    await pacer.take();

    expect(waits).toEqual([100, 200, 300]);
  });

  test('no one-second window holds more than the rate plus one (the default burst)', async () => {
    const pacer = pacedAt(23);

    for (let call = 0; call < 100; call += 1) {
      await pacer.send();
    }

    const busiest = Math.max(
      ...pacer.starts.map(
        (start) => pacer.starts.filter((t) => t >= start && t < start + 1000).length,
      ),
    );
    expect(busiest).toBeLessThanOrEqual(24);
    expect(pacer.starts.at(-1)).toBe(Math.round((99 * 1000) / 23));
  });

  test('a quiet spell lets a burst through, up to the burst size', async () => {
    const pacer = pacedAt(10, 3);

    pacer.wait(5000);
    for (let call = 0; call < 4; call += 1) {
      await pacer.send();
    }

    expect(pacer.starts).toEqual([5000, 5000, 5000, 5100]);
  });

  test('refuses a rate that is not above zero', () => {
    expect(() => new RequestPacer({ requestsPerSecond: 0 })).toThrow(RangeError);
  });
});
