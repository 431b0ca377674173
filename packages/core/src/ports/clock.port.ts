/** Where "now" comes from. Core never reads the system clock itself. */
export interface ClockPort {
  now(): Date;
}

export const systemClock: ClockPort = {
  now: () => new Date(),
};
