/**
 * One layer of a policy: a partial policy, `false` (the feature is off from this layer on), or
 * `undefined` (this layer says nothing).
 */
export type PolicyLayer<T extends object> = Partial<T> | false | undefined;

/**
 * Merges policy layers key by key, least specific first: later layers win. Rivet's order is
 * app default, class decorator, method decorator, ClientPolicy or `@RemoteService`, call:
 * `mergePolicies(appDefault, classLevel, methodLevel, clientPolicy, callLevel)`.
 * - A key set to `undefined` does not override.
 * - Plain objects (`budget`) merge key by key too; arrays (`retryOn`) and everything else replace.
 * - A `false` layer turns the feature off and forgets the layers before it; a later object layer
 *   turns it on again, starting from defaults.
 * Returns `false` when the last layer that says anything is `false`. Validate the result with the
 * matching `resolve*Policy`; each layer should be checked where it is declared too, so a bad key
 * is reported against its source. Never throws.
 */
export function mergePolicies<T extends object>(...layers: readonly PolicyLayer<T>[]): Partial<T> | false {
  let merged: Record<string, unknown> | false = {};
  for (const layer of layers) {
    if (layer === undefined) continue;
    if (layer === false) {
      merged = false;
      continue;
    }
    merged = mergeInto(merged === false ? {} : merged, layer as Record<string, unknown>);
  }
  return merged as Partial<T> | false;
}

function mergeInto(base: Record<string, unknown>, layer: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const key of Object.keys(layer)) {
    // A layer parsed from JSON may hold '__proto__' as an own key; copying it would set the prototype.
    if (key === '__proto__') continue;
    const value = layer[key];
    if (value === undefined) continue;
    const prev = out[key];
    out[key] = isPlainObject(value) && isPlainObject(prev) ? mergeInto(prev, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
