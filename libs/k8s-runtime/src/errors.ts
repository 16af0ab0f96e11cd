/** The `Status` object the API server returns with every error. */
export interface KubeStatus {
  kind?: 'Status';
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    kind?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
    retryAfterSeconds?: number;
  };
}

/** An HTTP error answered by the API server, carrying its Status so callers can branch on reason. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';

  readonly statusCode: number;
  readonly method: string;
  readonly path: string;
  readonly status: KubeStatus;
  readonly retryAfterSeconds?: number;

  constructor(o: {
    statusCode: number;
    method: string;
    path: string;
    status: KubeStatus;
    retryAfterSeconds?: number;
  }) {
    super(`${o.method} ${o.path}: ${o.statusCode} ${o.status.reason ?? ''} ${o.status.message ?? ''}`.trim());
    this.statusCode = o.statusCode;
    this.method = o.method;
    this.path = o.path;
    this.status = o.status;
    this.retryAfterSeconds = o.retryAfterSeconds;
  }

  get reason(): string | undefined {
    return this.status.reason;
  }

  /** Field-level causes, e.g. from CRD validation: `{ field: 'spec.replicas', message: ... }`. */
  get causes(): { reason?: string; message?: string; field?: string }[] {
    return this.status.details?.causes ?? [];
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof KubeApiError && e.statusCode === 404;
export const isConflict = (e: unknown): boolean =>
  e instanceof KubeApiError && e.statusCode === 409 && e.reason === 'Conflict';
export const isAlreadyExists = (e: unknown): boolean =>
  e instanceof KubeApiError && e.statusCode === 409 && e.reason === 'AlreadyExists';
export const isGone = (e: unknown): boolean => e instanceof KubeApiError && e.statusCode === 410;
