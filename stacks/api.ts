import type { BuiltFunction } from "./functions.ts";

/**
 * One HTTP API route per function that declares one. No authorizer: the handlers check the bearer token or the
 * webhook signature themselves, so the same code guards the local server and AWS, and errors keep Linq's envelope
 * (an API Gateway authorizer would answer 401/403 in its own format).
 */
export function createApi(functions: readonly BuiltFunction[]): sst.aws.ApiGatewayV2 {
  // Callers are servers holding a service token, and Linq; no browser origin needs inviting.
  const api = new sst.aws.ApiGatewayV2("Api", { cors: false });
  for (const { definition, fn } of functions) {
    if (!("http" in definition)) continue;
    // By ARN: the function is built once in functions.ts with its narrowed role, not re-created by the route.
    api.route(`${definition.http.method} ${definition.http.path}`, fn.arn);
  }
  return api;
}
