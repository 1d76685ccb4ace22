import type { InboundConfig } from "../auth/inbound";
import { sourceSecrets, unsealJson } from "../auth/sealed";
import type { SourceRow } from "../db/sources";
import type { Auth } from "../routes/schemas";

export interface FetchConfig {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  event_type: string;
}

interface SealedSourceSecrets {
  hmac_secret?: string;
  fetch_auth?: Auth;
}

/** A source's readable config joined with what is sealed under SECRETS_KEY. */
export async function sourceConfig(env: Env, source: SourceRow) {
  const secrets = source.secrets_enc
    ? await unsealJson<SealedSourceSecrets>(env.SECRETS_KEY, sourceSecrets(source.id), source.secrets_enc)
    : ({} as SealedSourceSecrets);
  return {
    inbound: source.inbound ? (JSON.parse(source.inbound) as InboundConfig) : null,
    hmacSecret: secrets.hmac_secret,
    fetch: source.fetch_config ? (JSON.parse(source.fetch_config) as FetchConfig) : null,
    fetchAuth: secrets.fetch_auth ?? ({ type: "none" } as Auth),
  };
}
