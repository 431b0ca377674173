import type { ClockPort, LoggerPort } from '@memberpay/core';

/** The injected clock plus every `advance()`: the simulator's only source of "now". */
export class SimulationClock {
  private offsetMs = 0;

  constructor(private readonly base: ClockPort) {}

  nowMs(): number {
    return this.base.now().getTime() + this.offsetMs;
  }

  /** Unix seconds, the unit of every Stripe timestamp. */
  nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError('The simulator clock only moves forward');
    }
    this.offsetMs += ms;
  }
}

/** setTimeout's longest delay; a longer one would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

interface ScheduledTask {
  dueAtMs: number;
  label: string;
  run: () => void;
  timer: NodeJS.Timeout;
}

/**
 * Work that comes due later on the simulation clock (bank settlements, pending refunds). A real
 * timer runs it when the clock moves by itself; `runDue()` runs it after `advance()`.
 */
export class Scheduler {
  private readonly tasks = new Set<ScheduledTask>();

  constructor(
    private readonly clock: SimulationClock,
    private readonly logger: LoggerPort,
  ) {}

  schedule(delayMs: number, label: string, run: () => void): void {
    const task: ScheduledTask = {
      dueAtMs: this.clock.nowMs() + delayMs,
      label,
      run,
      timer: this.arm(delayMs, () => this.fire(task)),
    };
    this.tasks.add(task);
  }

  /**
   * A task's own timer went off. Timers and the clock may disagree (by a millisecond, or
   * entirely when the clock is driven by hand): run what is due, else look again when the clock
   * should have got there. A frozen clock leaves the task to `advance()`.
   */
  private fire(task: ScheduledTask): void {
    const remainingMs = task.dueAtMs - this.clock.nowMs();
    if (remainingMs <= 0) {
      this.runDue();
    } else if (this.tasks.has(task)) {
      task.timer = this.arm(remainingMs, () => this.fire(task));
    }
  }

  private arm(delayMs: number, callback: () => void): NodeJS.Timeout {
    const timer = setTimeout(callback, Math.min(Math.max(delayMs, 1), MAX_TIMER_MS));
    timer.unref();
    return timer;
  }

  runDue(): void {
    const now = this.clock.nowMs();
    const due = [...this.tasks]
      .filter((task) => task.dueAtMs <= now)
      .sort((left, right) => left.dueAtMs - right.dueAtMs);

    for (const task of due) {
      this.tasks.delete(task);
      clearTimeout(task.timer);
      try {
        task.run();
      } catch (error) {
        // A task may find its object already moved on by a helper; that is not worth a crash.
        this.logger.warn('stripe simulator: scheduled task skipped', {
          task: task.label,
          reason: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }

  cancelAll(): void {
    for (const task of this.tasks) {
      clearTimeout(task.timer);
    }
    this.tasks.clear();
  }
}
