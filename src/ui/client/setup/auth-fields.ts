/**
 * The fields of an outbound AUTH (src/domain/auth.ts), whose set changes with its type: each type's fields sit in a
 * fieldset of their own, and only the chosen one is on (the others are disabled, so they are not read).
 * Credentials are write-only: editing shows the type and its names, and blank secrets keep what the relay has.
 */
import { h } from "../dom";
import { areaField, selectField, switchGroup, textField } from "./fields";

export const AUTH_TYPES = [
  ["none", "None"],
  ["api_key:header", "API key in a header"],
  ["api_key:query", "API key in the query"],
  ["basic", "Basic"],
  ["bearer", "Token (Authorization header)"],
  ["oauth2", "OAuth 2.0 client credentials"],
  ["oauth1", "OAuth 1.0a"],
  ["jwt", "Signed JWT"],
] as const;

function typeFields(p: string, type: string): HTMLElement[] {
  switch (type) {
    case "api_key:header":
      return [
        textField(`${p}/header`, { label: "Header", placeholder: "Api-Key", value: "Api-Key" }),
        textField(`${p}/value`, { label: "Key", secret: true }),
      ];
    case "api_key:query":
      return [
        textField(`${p}/query`, { label: "Query parameter", placeholder: "api_key" }),
        textField(`${p}/value`, { label: "Key", secret: true }),
      ];
    case "basic":
      return [
        textField(`${p}/username`, { label: "Username", kind: "raw" }),
        textField(`${p}/password`, { label: "Password", secret: true }),
      ];
    case "bearer":
      return [textField(`${p}/token`, { label: "Token", secret: true, full: true })];
    case "oauth2":
      return [
        textField(`${p}/token_url`, { label: "Token URL", type: "url", full: true, mono: true }),
        textField(`${p}/client_id`, { label: "Client id", kind: "raw" }),
        textField(`${p}/client_secret`, { label: "Client secret", secret: true }),
        textField(`${p}/scope`, { label: "Scope", help: "optional" }),
        textField(`${p}/audience`, { label: "Audience", help: "optional" }),
      ];
    case "oauth1":
      return [
        textField(`${p}/consumer_key`, { label: "Consumer key", kind: "raw" }),
        textField(`${p}/consumer_secret`, { label: "Consumer secret", secret: true }),
        textField(`${p}/token`, { label: "Token", secret: true, help: "optional" }),
        textField(`${p}/token_secret`, { label: "Token secret", secret: true, help: "optional" }),
        selectField(`${p}/signature_method`, {
          label: "Signature method",
          options: [
            ["HMAC-SHA1", "HMAC-SHA1"],
            ["HMAC-SHA256", "HMAC-SHA256"],
          ],
        }),
      ];
    case "jwt":
      return [
        selectField(`${p}/algorithm`, {
          label: "Algorithm",
          options: [
            ["HS256", "HS256 (shared secret)"],
            ["RS256", "RS256 (PKCS#8 PEM)"],
            ["ES256", "ES256 (PKCS#8 PEM)"],
          ],
        }),
        textField(`${p}/ttl`, { label: "Lifetime (s)", kind: "int", type: "number", placeholder: "300" }),
        areaField(`${p}/key`, {
          label: "Key",
          secret: true,
          help: "the secret for HS256, a PKCS#8 PEM for RS256/ES256",
        }),
        areaField(`${p}/claims`, {
          label: "Claims",
          kind: "json",
          placeholder: '{"iss": "syndic", "aud": "crm"}',
          help: "JSON; iat, exp and jti are added",
        }),
      ];
    default:
      return [];
  }
}

export interface AuthFields {
  element: HTMLFieldSetElement;
  /** Shows the type an auth read back has (its names are prefilled with the other fields). */
  prefill(auth: unknown): void;
}

/** `p` is the auth's pointer: "/auth", "/fetch/auth", "/then/auth". */
export function authFields(p: string, legend = "Authentication"): AuthFields {
  const type = selectField(`${p}/type`, { label: "Type", kind: "type", options: AUTH_TYPES, role: "auth-type" });
  const select = type.querySelector("select")!;
  const parts = AUTH_TYPES.filter(([value]) => value !== "none").map(([value]) =>
    h("fieldset", { class: "setup-sub full form-grid", "data-auth": value }, typeFields(p, value)),
  );
  const show = () => {
    for (const part of parts) switchGroup(part, part.getAttribute("data-auth") === select.value);
  };
  select.addEventListener("change", show);
  show();
  const element = h(
    "fieldset",
    { class: "setup-group full", "data-field": p },
    h("legend", null, legend),
    h("div", { class: "form-grid" }, type, parts),
  );
  return {
    element,
    prefill(auth) {
      const a = (auth && typeof auth === "object" ? auth : {}) as Record<string, unknown>;
      const t = String(a.type || "none");
      select.value = t === "api_key" ? ("query" in a && a.query ? "api_key:query" : "api_key:header") : t;
      if (!select.value) select.value = "none";
      show();
    },
  };
}
