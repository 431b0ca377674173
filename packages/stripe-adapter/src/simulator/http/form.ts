/**
 * Stripe's wire encoding of parameters: `application/x-www-form-urlencoded` pairs whose keys
 * carry nesting in brackets (`transfer_data[destination]`, `expand[0]`, `expand[]`).
 */
export type FormValue = string | FormValue[] | FormObject;
export interface FormObject {
  [name: string]: FormValue;
}

/** Keys that would reach Object.prototype if used as plain property names. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export class FormDecodeError extends Error {}

/** Decode a body or query string into nested objects; objects keyed 0..n become arrays. */
export function decodeForm(encoded: string): FormObject {
  const root: FormObject = {};

  for (const [key, value] of new URLSearchParams(encoded)) {
    assign(root, splitKey(key), value);
  }

  return arraysFromIndexedObjects(root) as FormObject;
}

function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) {
    return [key];
  }

  const segments = [key.slice(0, open)];
  const nested = /\[([^\]]*)\]/g;
  for (const match of key.slice(open).matchAll(nested)) {
    segments.push(match[1] ?? '');
  }
  return segments;
}

function assign(target: FormObject, segments: string[], value: string): void {
  let node = target;

  for (const [index, rawSegment] of segments.entries()) {
    // `a[]=x` appends: give it the next free index among the siblings.
    const segment = rawSegment === '' ? String(Object.keys(node).length) : rawSegment;
    if (FORBIDDEN_KEYS.has(segment)) {
      throw new FormDecodeError(`Invalid parameter name: ${segments.join('.')}`);
    }

    if (index === segments.length - 1) {
      node[segment] = value;
      return;
    }

    const child = node[segment];
    if (child === undefined) {
      const created: FormObject = {};
      node[segment] = created;
      node = created;
    } else if (typeof child === 'object' && !Array.isArray(child)) {
      node = child;
    } else {
      throw new FormDecodeError(`Invalid nesting for parameter ${segments[0]}`);
    }
  }
}

function arraysFromIndexedObjects(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) {
    return value;
  }

  const keys = Object.keys(value);
  const converted: FormObject = {};
  for (const key of keys) {
    converted[key] = arraysFromIndexedObjects(value[key] as FormValue);
  }

  const indexed = keys.length > 0 && keys.every((key) => /^\d+$/.test(key));
  if (!indexed) {
    return converted;
  }
  return keys
    .map(Number)
    .sort((left, right) => left - right)
    .map((index) => converted[String(index)] as FormValue);
}

/** A stable text of decoded parameters, for telling whether two requests asked the same. */
export function fingerprint(values: FormObject): string {
  return JSON.stringify(sortKeys(values));
}

function sortKeys(value: FormValue): FormValue {
  if (typeof value === 'string') {
    return value;
  }
  if (Array.isArray(value)) {
    return value.map(sortKeys);
  }

  const sorted: FormObject = {};
  for (const key of Object.keys(value).sort()) {
    sorted[key] = sortKeys(value[key] as FormValue);
  }
  return sorted;
}
