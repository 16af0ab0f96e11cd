/** Who a request acts for, derived only from its verified token (never from the request's input). */
export interface Principal {
  /** The token's subject (OIDC `sub`, the API key's id, or the development token's subject). */
  readonly subject: string;
  readonly role: 'tenant' | 'admin';
  /** The Tenant object it acts for; an administrator may have none. */
  readonly tenant: string | undefined;
  readonly via: 'oidc' | 'api-key' | 'development';
}

export const TENANT_CLAIM = 'kentaur.io/tenant';
export const ROLE_CLAIM = 'kentaur.io/role';
