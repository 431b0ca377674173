/** Where new ids come from. Core never makes an id by itself. */
export interface IdGeneratorPort {
  /** A new unique id; `prefix` names what it is for, for example `req` or `aud`. */
  next(prefix: string): string;
}

export const randomIds: IdGeneratorPort = {
  next: (prefix) => `${prefix}_${globalThis.crypto.randomUUID().replaceAll('-', '')}`,
};
