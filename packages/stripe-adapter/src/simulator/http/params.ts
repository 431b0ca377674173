import { invalidRequest, parameterInvalid, parameterMissing } from './errors';
import type { FormObject, FormValue } from './form';

/**
 * The top-level parameter names one endpoint accepts, listed against stripe-node's own params
 * type: `tsc` rejects a name the type lacks and a name of the type that is missing here.
 */
export function acceptedParams<T>(names: Record<keyof T & string, true>): ReadonlySet<string> {
  return new Set(Object.keys(names));
}

/** Stripe's documented limits on metadata. */
const METADATA_MAX_KEYS = 50;
const METADATA_MAX_KEY_LENGTH = 40;
const METADATA_MAX_VALUE_LENGTH = 500;

/**
 * Typed reads of decoded parameters. An empty string is Stripe's "unset": the plain readers
 * return `undefined` for it, and `isCleared` tells it apart from an absent parameter.
 */
export class ParamReader {
  constructor(
    private readonly values: FormObject,
    private readonly prefix = '',
  ) {}

  name(key: string): string {
    return this.prefix === '' ? key : `${this.prefix}[${key}]`;
  }

  has(key: string): boolean {
    return this.values[key] !== undefined;
  }

  isCleared(key: string): boolean {
    return this.values[key] === '';
  }

  keys(): string[] {
    return Object.keys(this.values);
  }

  string(key: string): string | undefined {
    const value = this.values[key];
    if (value === undefined || value === '') {
      return undefined;
    }
    if (typeof value !== 'string') {
      throw parameterInvalid(this.name(key), `Invalid string: ${this.name(key)}`);
    }
    return value;
  }

  requireString(key: string): string {
    const value = this.string(key);
    if (value === undefined) {
      throw parameterMissing(this.name(key));
    }
    return value;
  }

  integer(key: string, bounds: { min?: number; max?: number } = {}): number | undefined {
    const text = this.string(key);
    if (text === undefined) {
      return undefined;
    }

    if (!/^-?\d+$/.test(text)) {
      throw parameterInvalid(
        this.name(key),
        `Not an integer: ${text}`,
        'parameter_invalid_integer',
      );
    }
    const value = Number(text);
    if (!Number.isSafeInteger(value)) {
      throw parameterInvalid(
        this.name(key),
        `Not an integer: ${text}`,
        'parameter_invalid_integer',
      );
    }
    if (bounds.min !== undefined && value < bounds.min) {
      throw parameterInvalid(
        this.name(key),
        `This value must be greater than or equal to ${bounds.min}.`,
      );
    }
    if (bounds.max !== undefined && value > bounds.max) {
      throw parameterInvalid(
        this.name(key),
        `This value must be less than or equal to ${bounds.max}.`,
      );
    }
    return value;
  }

  boolean(key: string): boolean | undefined {
    const text = this.string(key);
    if (text === undefined) {
      return undefined;
    }
    if (text !== 'true' && text !== 'false') {
      throw parameterInvalid(this.name(key), `Not a boolean: ${text}`);
    }
    return text === 'true';
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const text = this.string(key);
    if (text === undefined) {
      return undefined;
    }
    const match = allowed.find((candidate) => candidate === text);
    if (match === undefined) {
      throw parameterInvalid(
        this.name(key),
        `Invalid ${this.name(key)}: must be one of ${allowed.join(', ')}`,
      );
    }
    return match;
  }

  strings(key: string): string[] | undefined {
    const value = this.values[key];
    if (value === undefined || value === '') {
      return undefined;
    }
    const list = Array.isArray(value) ? value : [value];
    return list.map((item, index) => {
      if (typeof item !== 'string') {
        throw parameterInvalid(`${this.name(key)}[${index}]`, 'Invalid array of strings');
      }
      return item;
    });
  }

  object(key: string): ParamReader | undefined {
    const value = this.values[key];
    if (value === undefined || value === '') {
      return undefined;
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw parameterInvalid(this.name(key), `Invalid object: ${this.name(key)}`);
    }
    return new ParamReader(value, this.name(key));
  }

  objects(key: string): ParamReader[] | undefined {
    const value = this.values[key];
    if (value === undefined || value === '') {
      return undefined;
    }
    if (!Array.isArray(value)) {
      throw parameterInvalid(this.name(key), `Invalid array: ${this.name(key)}`);
    }
    return value.map((item, index) => {
      if (typeof item !== 'object' || Array.isArray(item)) {
        throw parameterInvalid(`${this.name(key)}[${index}]`, 'Invalid object');
      }
      return new ParamReader(item, `${this.name(key)}[${index}]`);
    });
  }

  /** `expand[]`, the fields a response should carry as objects instead of ids. */
  expand(): string[] {
    return this.strings('expand') ?? [];
  }

  /**
   * Metadata after this request: `metadata=` clears it, `metadata[key]=` removes one key.
   * `current` is left untouched.
   */
  metadata(current: Readonly<Record<string, string>> = {}): Record<string, string> {
    if (this.isCleared('metadata')) {
      return {};
    }

    const next = { ...current };
    const update = this.values.metadata;
    if (update === undefined) {
      return next;
    }
    if (typeof update !== 'object' || Array.isArray(update)) {
      throw parameterInvalid(this.name('metadata'), 'Invalid metadata: must be an object');
    }

    for (const [key, value] of Object.entries(update)) {
      if (typeof value !== 'string') {
        throw parameterInvalid(`metadata[${key}]`, 'Metadata values must be strings.');
      }
      if (value === '') {
        delete next[key];
      } else {
        next[key] = value;
      }
    }
    checkMetadataLimits(next);
    return next;
  }

  raw(key: string): FormValue | undefined {
    return this.values[key];
  }
}

function checkMetadataLimits(metadata: Record<string, string>): void {
  const keys = Object.keys(metadata);
  if (keys.length > METADATA_MAX_KEYS) {
    throw invalidRequest(`You can specify up to ${METADATA_MAX_KEYS} metadata keys.`, {
      param: 'metadata',
    });
  }

  for (const key of keys) {
    if (key.length > METADATA_MAX_KEY_LENGTH) {
      throw invalidRequest(
        `Metadata keys can be at most ${METADATA_MAX_KEY_LENGTH} characters long.`,
        { param: `metadata[${key}]` },
      );
    }
    if ((metadata[key] ?? '').length > METADATA_MAX_VALUE_LENGTH) {
      throw invalidRequest(
        `Metadata values can be at most ${METADATA_MAX_VALUE_LENGTH} characters long.`,
        { param: `metadata[${key}]` },
      );
    }
  }
}

/** Reject any top-level parameter the endpoint does not know, as Stripe does. */
export function rejectUnknownParams(values: FormObject, accepted: ReadonlySet<string>): void {
  for (const key of Object.keys(values)) {
    if (!accepted.has(key)) {
      throw invalidRequest(`Unknown parameter: ${key}`, {
        code: 'parameter_unknown',
        param: key,
      });
    }
  }
}
