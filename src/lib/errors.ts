/** The closed set of error codes; each edge (HTTP, CLI, worker) maps them once. */
export type ErrorCode =
  | 'NOT_FOUND'
  | 'VALIDATION'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'UPSTREAM_UNAVAILABLE'
  | 'CONFIG'
  | 'INTERNAL';

/** An expected failure with a message that is safe to show to the user. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
}

export const notFound = (what: string): AppError => new AppError('NOT_FOUND', `${what} not found`);
export const httpStatusOf: Record<ErrorCode, number> = {
  NOT_FOUND: 404,
  VALIDATION: 422,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  UPSTREAM_UNAVAILABLE: 503,
  CONFIG: 500,
  INTERNAL: 500,
};

/** CLI exit codes: 1 = the command found a problem, 2 = usage/configuration, 3 = unavailable. */
export const exitCodeOf: Record<ErrorCode, number> = {
  NOT_FOUND: 1,
  VALIDATION: 2,
  UNAUTHORIZED: 1,
  FORBIDDEN: 1,
  CONFLICT: 1,
  RATE_LIMITED: 1,
  UPSTREAM_UNAVAILABLE: 3,
  CONFIG: 2,
  INTERNAL: 1,
};

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
