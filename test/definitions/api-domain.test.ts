/** A custom domain keeps the URL Linq delivers to when the API behind it is replaced. */
import { describe, expect, it } from "vitest";
import { ApiDomainError, readApiDomain } from "../../src/definitions/api-domain.ts";

const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";

describe("the API's custom domain", () => {
  it("is none unless API_DOMAIN is set", () => {
    expect(readApiDomain({})).toBeUndefined();
    expect(readApiDomain({ API_DOMAIN: " " })).toBeUndefined();
  });

  it("is managed in Route 53 without a certificate, or uses the team's own certificate and DNS", () => {
    expect(readApiDomain({ API_DOMAIN: "Chat-Ops.Example.com" })).toEqual({ name: "chat-ops.example.com" });
    expect(readApiDomain({ API_DOMAIN: "chat-ops.example.com", API_DOMAIN_CERT_ARN: CERT })).toEqual({
      name: "chat-ops.example.com",
      cert: CERT,
    });
  });

  it("stops the deploy on a value that is not a host name or a certificate ARN", () => {
    expect(() => readApiDomain({ API_DOMAIN: "https://chat-ops.example.com" })).toThrow(ApiDomainError);
    expect(() => readApiDomain({ API_DOMAIN: "localhost" })).toThrow("API_DOMAIN must be a host name");
    expect(() => readApiDomain({ API_DOMAIN: "chat-ops.example.com", API_DOMAIN_CERT_ARN: "cert-1" })).toThrow(
      "API_DOMAIN_CERT_ARN must be an ACM certificate ARN",
    );
    expect(() => readApiDomain({ API_DOMAIN_CERT_ARN: CERT })).toThrow("API_DOMAIN_CERT_ARN is set without API_DOMAIN");
  });
});
