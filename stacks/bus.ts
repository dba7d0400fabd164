/**
 * The project's own bus: request events come in on it and outcome events go out on it. A dedicated bus (rather than
 * the account's default one) keeps its rules and its PutEvents permission scoped to this service.
 */
export function createBus(): sst.aws.Bus {
  return new sst.aws.Bus("Bus");
}
