/**
 * A small schema language with one source for three outputs:
 *   - TypeScript types (`Infer<typeof schema>`),
 *   - the structural OpenAPI v3 schema with CEL `x-kubernetes-validations` of a CRD,
 *   - a local validator with the same rules and messages (used before anything reaches the API
 *     server, e.g. by the gateway), returning every error with its field path.
 * Each CEL rule carries a JavaScript twin (`check`); integration tests run the same invalid objects
 * through the API server and the local validator and require both to reject them.
 */

/** The OpenAPI v3 subset a structural CRD schema uses. */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  additionalProperties?: JSONSchemaProps;
  items?: JSONSchemaProps;
  enum?: (string | number)[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  format?: string;
  default?: unknown;
  'x-kubernetes-validations'?: CelRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  anyOf?: JSONSchemaProps[];
}

export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

export interface FieldError {
  /** Dotted path as the API server writes it: `spec.accelerators.count`, `spec.images[amd]`. */
  field: string;
  /** What is wrong and how to fix it. */
  message: string;
}

/** A rule expressed twice: in CEL for the API server, in JavaScript for local validation. */
export interface Rule<T> {
  cel: string;
  message: string;
  /** Report the error at this child field (relative, e.g. `.guaranteedCU`) instead of the object. */
  fieldPath?: string;
  // Method syntax on purpose: bivariant, so a Schema<string> is usable where any Schema is expected.
  check(value: T): boolean;
}

export abstract class Schema<T> {
  declare readonly __type: T;
  description?: string;
  defaultValue?: T;
  protected rules: Rule<T>[] = [];

  abstract openapi(): JSONSchemaProps;
  protected abstract checkType(value: unknown, path: string, errors: FieldError[]): value is T;

  describe(text: string): this {
    this.description = text;
    return this;
  }

  /** A default the API server fills in when the field is absent (only meaningful on optional fields). */
  default(value: T): this {
    this.defaultValue = value;
    return this;
  }

  rule(r: Rule<T>): this {
    this.rules.push(r);
    return this;
  }

  /** Validates `value`, appending an error per violated rule; nested rules run only on well-typed values. */
  validate(value: unknown, path: string, errors: FieldError[]): void {
    if (!this.checkType(value, path, errors)) return;
    for (const r of this.rules) {
      if (!r.check(value)) errors.push({ field: joinPath(path, r.fieldPath), message: r.message });
    }
  }

  protected withCommon(props: JSONSchemaProps): JSONSchemaProps {
    if (this.description) props.description = this.description;
    if (this.defaultValue !== undefined) props.default = this.defaultValue;
    if (this.rules.length) {
      props['x-kubernetes-validations'] = this.rules.map((r) => ({
        rule: r.cel,
        message: r.message,
        ...(r.fieldPath ? { fieldPath: r.fieldPath } : {}),
      }));
    }
    return props;
  }
}

function joinPath(base: string, rel?: string): string {
  if (!rel) return base;
  return base ? `${base}${rel}` : rel.replace(/^\./, '');
}

/** Records a type mismatch and returns false, so checks can `return wrongType(...)`. */
function wrongType(errors: FieldError[], path: string, expected: string): false {
  errors.push({ field: path, message: `must be ${expected}` });
  return false;
}

export class StringSchema extends Schema<string> {
  constructor(private readonly o: { minLength?: number; maxLength: number; enum?: readonly string[] }) {
    super();
  }

  openapi(): JSONSchemaProps {
    return this.withCommon({
      type: 'string',
      ...(this.o.minLength !== undefined ? { minLength: this.o.minLength } : {}),
      maxLength: this.o.maxLength,
      ...(this.o.enum ? { enum: [...this.o.enum] } : {}),
    });
  }

  protected checkType(v: unknown, path: string, errors: FieldError[]): v is string {
    if (typeof v !== 'string') return wrongType(errors, path, 'a string');
    if (this.o.enum && !this.o.enum.includes(v)) {
      errors.push({ field: path, message: `must be one of ${this.o.enum.join(', ')} (got "${v}")` });
      return false;
    }
    if (this.o.minLength !== undefined && v.length < this.o.minLength) {
      errors.push({ field: path, message: `must not be empty` });
      return false;
    }
    if (v.length > this.o.maxLength) {
      errors.push({ field: path, message: `must be at most ${this.o.maxLength} characters` });
      return false;
    }
    return true;
  }
}

export class NumberSchema extends Schema<number> {
  constructor(
    private readonly o: { integer: boolean; minimum?: number; maximum?: number; exclusiveMinimum?: boolean },
  ) {
    super();
  }

  openapi(): JSONSchemaProps {
    const { integer, ...bounds } = this.o;
    return this.withCommon({ type: integer ? 'integer' : 'number', ...bounds });
  }

  protected checkType(v: unknown, path: string, errors: FieldError[]): v is number {
    const { integer, minimum, maximum, exclusiveMinimum } = this.o;
    if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
      return wrongType(errors, path, integer ? 'a whole number' : 'a number');
    }
    const low = minimum !== undefined && (exclusiveMinimum ? v <= minimum : v < minimum);
    const high = maximum !== undefined && v > maximum;
    if (low || high) {
      const lower =
        minimum === undefined ? '' : exclusiveMinimum ? `greater than ${minimum}` : `at least ${minimum}`;
      const upper = maximum === undefined ? '' : `at most ${maximum}`;
      errors.push({
        field: path,
        message: `must be ${[lower, upper].filter(Boolean).join(' and ')} (got ${v})`,
      });
      return false;
    }
    return true;
  }
}

export class BooleanSchema extends Schema<boolean> {
  openapi(): JSONSchemaProps {
    return this.withCommon({ type: 'boolean' });
  }

  protected checkType(v: unknown, path: string, errors: FieldError[]): v is boolean {
    return typeof v === 'boolean' || wrongType(errors, path, 'true or false');
  }
}

export class ArraySchema<T> extends Schema<T[]> {
  constructor(
    private readonly item: Schema<T>,
    private readonly o: { maxItems: number; minItems?: number; listType?: 'atomic' | 'set' },
  ) {
    super();
  }

  openapi(): JSONSchemaProps {
    return this.withCommon({
      type: 'array',
      items: this.item.openapi(),
      maxItems: this.o.maxItems,
      ...(this.o.minItems !== undefined ? { minItems: this.o.minItems } : {}),
      ...(this.o.listType ? { 'x-kubernetes-list-type': this.o.listType } : {}),
    });
  }

  protected checkType(v: unknown, path: string, errors: FieldError[]): v is T[] {
    if (!Array.isArray(v)) return wrongType(errors, path, 'a list');
    if (v.length > this.o.maxItems) {
      errors.push({ field: path, message: `must have at most ${this.o.maxItems} items (got ${v.length})` });
      return false;
    }
    if (this.o.minItems !== undefined && v.length < this.o.minItems) {
      errors.push({ field: path, message: `must have at least ${this.o.minItems} item(s)` });
      return false;
    }
    const before = errors.length;
    v.forEach((item, i) => this.item.validate(item, `${path}[${i}]`, errors));
    if (this.o.listType === 'set') {
      const seen = new Set<string>();
      v.forEach((item, i) => {
        const key = JSON.stringify(item);
        if (seen.has(key))
          errors.push({ field: `${path}[${i}]`, message: `duplicate value ${key}; list each value once` });
        seen.add(key);
      });
    }
    return errors.length === before;
  }
}

export class MapSchema<T> extends Schema<Record<string, T>> {
  constructor(
    private readonly value: Schema<T>,
    private readonly o: { maxProperties: number },
  ) {
    super();
  }

  openapi(): JSONSchemaProps {
    return this.withCommon({
      type: 'object',
      additionalProperties: this.value.openapi(),
      maxProperties: this.o.maxProperties,
    });
  }

  protected checkType(v: unknown, path: string, errors: FieldError[]): v is Record<string, T> {
    if (!isPlainObject(v)) return wrongType(errors, path, 'a map');
    const entries = Object.entries(v);
    if (entries.length > this.o.maxProperties) {
      errors.push({
        field: path,
        message: `must have at most ${this.o.maxProperties} entries (got ${entries.length})`,
      });
      return false;
    }
    const before = errors.length;
    for (const [k, item] of entries) this.value.validate(item, `${path}[${k}]`, errors);
    return errors.length === before;
  }
}

/** Marks a property as optional in an object shape. */
export class Optional<T> {
  constructor(readonly schema: Schema<T>) {}
}

type Shape = Record<string, Schema<unknown> | Optional<unknown>>;
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K] extends Optional<unknown> ? never : K }[keyof S];
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends Optional<unknown> ? K : never }[keyof S];
type Unwrap<P> = P extends Optional<infer T> ? T : P extends Schema<infer U> ? U : never;
type Simplify<T> = { [K in keyof T]: T[K] };
export type InferShape<S extends Shape> = Simplify<
  { [K in RequiredKeys<S>]: Unwrap<S[K]> } & { [K in OptionalKeys<S>]?: Unwrap<S[K]> }
>;
export type Infer<S> = S extends Schema<infer T> ? T : never;

export class ObjectSchema<S extends Shape> extends Schema<InferShape<S>> {
  constructor(readonly shape: S) {
    super();
  }

  openapi(): JSONSchemaProps {
    const properties: Record<string, JSONSchemaProps> = {};
    const required: string[] = [];
    for (const [k, p] of Object.entries(this.shape)) {
      if (p instanceof Optional) properties[k] = p.schema.openapi();
      else {
        properties[k] = p.openapi();
        required.push(k);
      }
    }
    return this.withCommon({ type: 'object', properties, ...(required.length ? { required } : {}) });
  }

  protected checkType(v: unknown, path: string, errors: FieldError[]): v is InferShape<S> {
    if (!isPlainObject(v)) return wrongType(errors, path, 'an object');
    const before = errors.length;
    for (const [k, p] of Object.entries(this.shape)) {
      const field = path ? `${path}.${k}` : k;
      const present = v[k] !== undefined && v[k] !== null;
      if (p instanceof Optional) {
        if (present) p.schema.validate(v[k], field, errors);
      } else if (!present) {
        errors.push({ field, message: 'required' });
      } else p.validate(v[k], field, errors);
    }
    for (const k of Object.keys(v)) {
      if (!(k in this.shape))
        errors.push({
          field: path ? `${path}.${k}` : k,
          message: 'unknown field; remove it (check the spelling)',
        });
    }
    return errors.length === before;
  }
}

/** An object whose fields are not validated (used for `status`, written only by the controller). */
export class OpenObjectSchema extends Schema<Record<string, unknown>> {
  openapi(): JSONSchemaProps {
    return this.withCommon({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  }

  protected checkType(v: unknown, path: string, errors: FieldError[]): v is Record<string, unknown> {
    return isPlainObject(v) || wrongType(errors, path, 'an object');
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Builders. Every string, list and map has an upper bound: CEL cost estimation needs them. */
export const s = {
  string: (o: { maxLength: number; minLength?: number }) => new StringSchema(o),
  enum: <const E extends readonly string[]>(values: E) =>
    new StringSchema({
      enum: values,
      maxLength: Math.max(...values.map((v) => v.length)),
    }) as unknown as Schema<E[number]>,
  int: (o: { minimum?: number; maximum?: number } = {}) => new NumberSchema({ integer: true, ...o }),
  number: (o: { minimum?: number; maximum?: number; exclusiveMinimum?: boolean } = {}) =>
    new NumberSchema({ integer: false, ...o }),
  boolean: () => new BooleanSchema(),
  array: <T>(item: Schema<T>, o: { maxItems: number; minItems?: number; listType?: 'atomic' | 'set' }) =>
    new ArraySchema(item, o),
  map: <T>(value: Schema<T>, o: { maxProperties: number }) => new MapSchema(value, o),
  object: <S extends Shape>(shape: S) => new ObjectSchema(shape),
  open: () => new OpenObjectSchema(),
  optional: <T>(schema: Schema<T>) => new Optional<T>(schema),
};
