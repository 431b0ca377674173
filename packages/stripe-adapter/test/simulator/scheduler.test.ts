import { noopLogger } from '@memberpay/core';
import { describe, expect, test } from 'vitest';
import { Scheduler, SimulationClock } from '../../src/simulator/state/clock';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Scheduler', () => {
  test('a timer that fires before the clock says it is due waits for the clock', async () => {
    // A clock at half the speed of the timers: every timer fires early by the clock's reckoning.
    const startedAt = Date.now();
    const clock = new SimulationClock({
      now: () => new Date(startedAt + Math.floor((Date.now() - startedAt) / 2)),
    });
    const scheduler = new Scheduler(clock, noopLogger);
    const runs: number[] = [];
    scheduler.schedule(10, 'settle', () => runs.push(clock.nowMs() - startedAt));

    for (let waited = 0; runs.length === 0 && waited < 1000; waited += 10) {
      await sleep(10);
    }

    expect(runs).toHaveLength(1);
    expect(runs[0]).toBeGreaterThanOrEqual(10);
  });

  test('a frozen clock leaves the task to advance(), which runs it once', async () => {
    const clock = new SimulationClock({ now: () => new Date(1_000_000) });
    const scheduler = new Scheduler(clock, noopLogger);
    const runs: string[] = [];
    scheduler.schedule(5, 'settle', () => runs.push('settle'));

    await sleep(20);
    const whileFrozen = [...runs];
    clock.advance(5);
    scheduler.runDue();
    scheduler.runDue();

    expect(whileFrozen).toEqual([]);
    expect(runs).toEqual(['settle']);
  });

  test('a task that throws is skipped with a warning, and later tasks still run', () => {
    const clock = new SimulationClock({ now: () => new Date(1_000_000) });
    const warnings: string[] = [];
    const scheduler = new Scheduler(clock, {
      ...noopLogger,
      warn: (message) => warnings.push(message),
    });
    const runs: string[] = [];
    scheduler.schedule(1, 'broken', () => {
      throw new Error('moved on');
    });
    scheduler.schedule(2, 'fine', () => runs.push('fine'));

    clock.advance(2);
    scheduler.runDue();

    expect(runs).toEqual(['fine']);
    expect(warnings).toEqual(['stripe simulator: scheduled task skipped']);
  });

  test('the clock only moves forward', () => {
    const clock = new SimulationClock({ now: () => new Date(0) });

    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});
