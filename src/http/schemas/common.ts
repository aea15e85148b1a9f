import { Type, type Static, type TSchema } from 'typebox';

/** A string restricted to a closed set of values (one `enum` keyword: clear 422 messages, clean OpenAPI). */
export const StringEnum = <const T extends readonly string[]>(
  values: T,
  opts: Record<string, unknown> = {},
) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts });

/**
 * A value or null. A plain typed schema gets OpenAPI's `nullable: true` rather than `anyOf [t, null]`:
 * the validator coerces types (query strings need it), and in an anyOf it would turn a JSON null into
 * 0 or "" through the first branch (a unit's alarm limit set to null was stored as 0 °C).
 */
export const Nullable = <T extends TSchema>(t: T) => {
  const s = t as Record<string, unknown>;
  const plain = typeof s.type === 'string' && s.enum === undefined && s.const === undefined;
  return plain
    ? Type.Unsafe<Static<T> | null>({ ...s, nullable: true })
    : Type.Union([t, Type.Null()]);
};

export const Uuid = Type.String({ format: 'uuid', description: 'UUID' });
/** A response instant: a Date is serialised as ISO 8601 UTC with `Z`. */
export const DateTime = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });
/** Query/body instants: ISO 8601; a value without an offset is read as UTC. */
export const DateTimeInput = Type.String({
  format: 'iso-instant',
  description: 'ISO 8601 date-time; without an offset it is read as UTC',
  maxLength: 40,
});
export const TempUnit = StringEnum(['C', 'F'] as const, { description: 'Temperature unit' });

export const ErrorBody = Type.Object({ detail: Type.Unknown(), code: Type.Optional(Type.String()) });

/**
 * Deepest `offset` served. An offset page makes the database walk every row before it; past this,
 * a narrower time range reaches the same readings cheaply (422 that says so).
 */
export const MAX_OFFSET = 100_000;

export const Pagination = {
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  offset: Type.Integer({
    minimum: 0,
    maximum: MAX_OFFSET,
    default: 0,
    description: `At most ${MAX_OFFSET}; narrow the time range to reach older rows`,
  }),
};

export const Paginated = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    total: Type.Integer(),
    page: Type.Integer(),
    page_size: Type.Integer(),
    pages: Type.Integer(),
  });

export const IdParams = <K extends string>(name: K) =>
  Type.Object({ [name]: Uuid } as Record<K, typeof Uuid>);

export type Page<T> = { items: T[]; total: number; page: number; page_size: number; pages: number };

/** The prototype's envelope: page = offset div limit + 1, pages = ceil(total / limit). */
export const toPage = <T>(items: T[], total: number, limit: number, offset: number): Page<T> => ({
  items,
  total,
  page: Math.floor(offset / limit) + 1,
  page_size: limit,
  pages: Math.ceil(total / limit),
});

export type PaginationQuery = { limit: number; offset: number };
export type StaticOf<T extends TSchema> = Static<T>;
