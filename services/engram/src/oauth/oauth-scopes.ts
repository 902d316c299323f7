import { Scope } from '../auth/scopes';

/** Scopes a connector may be granted; `admin` stays with API keys. */
export const OAUTH_SCOPES: readonly Scope[] = ['read', 'write'];
