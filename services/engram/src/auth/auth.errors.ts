import { DomainError } from '../common/domain-errors';

/** A browser page of another site tried to change something on a server that takes no credential. */
export class CrossSiteRequest extends DomainError {
  readonly status = 403;
  readonly code = 'cross_site_request';
}
