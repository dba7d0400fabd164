import type { ApiDomain } from "../src/definitions/api-domain.ts";
import type { LinqPressure } from "../src/definitions/limits.ts";
import type { BuiltFunction } from "./functions.ts";

/**
 * One HTTP API route per function that declares one. No authorizer: the handlers check the bearer token or the
 * webhook signature themselves, so the same code guards the local server and AWS, and errors keep Linq's envelope
 * (an API Gateway authorizer would answer 401/403 in its own format).
 */
export function createApi(
  functions: readonly BuiltFunction[],
  pressure: LinqPressure,
  domain: ApiDomain | undefined,
): sst.aws.ApiGatewayV2 {
  const api = new sst.aws.ApiGatewayV2("Api", {
    // Callers are servers holding a service token, and Linq; no browser origin needs inviting.
    cors: false,
    // With a domain, `api.url` (the ApiUrl output) is https://<domain>: the URL to register with Linq once.
    ...(domain === undefined
      ? {}
      : { domain: domain.cert === undefined ? domain.name : { name: domain.name, cert: domain.cert, dns: false } }),
    transform: {
      // Past this the gateway answers 429, which Linq's SDKs retry, instead of passing a burst on to functions whose
      // reserved concurrency would throttle it into 500s (src/definitions/limits.ts).
      stage: (args) => {
        args.defaultRouteSettings = {
          throttlingRateLimit: pressure.apiRateLimit,
          throttlingBurstLimit: pressure.apiBurstLimit,
        };
      },
    },
  });
  for (const { definition, fn } of functions) {
    if (!("http" in definition)) continue;
    // By ARN: the function is built once in functions.ts with its narrowed role, not re-created by the route.
    api.route(`${definition.http.method} ${definition.http.path}`, fn.arn);
  }
  return api;
}
