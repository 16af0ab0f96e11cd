import type { Principal } from '../auth/principal';
import type { GatewayState } from '../kube/gateway-state';
import { TenantScope } from './tenant-scope';

/** The per-request GraphQL context (per connection for subscriptions). */
export interface GatewayContext {
  /** Undefined: no token was presented (only public fields answer). */
  principal: Principal | undefined;
  /** What the principal may see and touch; undefined without a principal. */
  scope: TenantScope | undefined;
  /** Kubernetes event lookups made by this request (each is an API call; they are bounded). */
  eventLookups: number;
  /**
   * Subscriptions only: the connection's credential checked again while a subscription runs, so
   * that a revoked API key or an expired token ends it (its first check was at connection_init).
   */
  credential?: CredentialCheck;
}

export interface CredentialCheck {
  /** Whether the credential the connection was opened with still authenticates. */
  stillValid(): Promise<boolean>;
  /** How often a running subscription checks it, at the latest (also before every event). */
  everyMs: number;
}

export function gatewayContext(principal: Principal | undefined, state: GatewayState): GatewayContext {
  return { principal, scope: principal && new TenantScope(principal, state), eventLookups: 0 };
}
