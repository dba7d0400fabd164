/**
 * The HTTP API's own domain name, set per deploy from the deploying shell's environment (`sst.config.ts` reads it).
 * Linq delivers webhooks to the URL registered with it, and callers keep their base URL: with a domain of the team's
 * own, replacing the API (a new stage, a rebuilt gateway) does not mean registering again. Plain data only.
 */

export interface ApiDomain {
  /** e.g. `chat-ops.example.com`. */
  readonly name: string;
  /**
   * An ACM certificate (in the API's region) for a domain whose DNS is not in this account's Route 53: SST then
   * creates no certificate and no record, and the team points a CNAME at the API's domain target itself.
   */
  readonly cert?: string;
}

export class ApiDomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ApiDomainError";
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/;

/** `API_DOMAIN` (unset: the API's generated URL) and `API_DOMAIN_CERT_ARN` (unset: DNS and certificate in Route 53). */
export function readApiDomain(env: Env): ApiDomain | undefined {
  const name = env.API_DOMAIN?.trim().toLowerCase();
  const cert = env.API_DOMAIN_CERT_ARN?.trim();
  if (!name) {
    if (cert) throw new ApiDomainError("API_DOMAIN_CERT_ARN is set without API_DOMAIN");
    return undefined;
  }
  if (!HOSTNAME.test(name)) throw new ApiDomainError(`API_DOMAIN must be a host name, got "${env.API_DOMAIN}"`);
  if (cert === undefined || cert === "") return { name };
  if (!CERTIFICATE_ARN.test(cert)) {
    throw new ApiDomainError(`API_DOMAIN_CERT_ARN must be an ACM certificate ARN, got "${cert}"`);
  }
  return { name, cert };
}
