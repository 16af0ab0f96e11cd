export * from './main';
export { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKey, mintDevToken } from './auth/dev-tokens';
export { API_KEY_PREFIX } from './auth/api-keys';
export type { ErrorCode } from './errors';
export { JIT_MIN_USES } from './app.module';
