import { sourceSecrets, unsealJson } from "../auth/sealed";
import type { SourceRow } from "../db/sources";
import type { Auth } from "../domain/auth";
import { SourceSecrets } from "../domain/source";

const NO_SECRETS: SourceSecrets = {};
const NO_AUTH: Auth = { type: "none" };

/** A source's readable config (parsed by db/) joined with what is sealed under SECRETS_KEY. */
export async function sourceConfig(env: Env, source: SourceRow) {
  const secrets = source.secrets_enc
    ? await unsealJson(env.SECRETS_KEY, sourceSecrets(source.id), source.secrets_enc, SourceSecrets)
    : NO_SECRETS;
  return {
    inbound: source.inbound,
    hmacSecret: secrets.hmac_secret,
    fetch: source.fetch_config,
    fetchAuth: secrets.fetch_auth ?? NO_AUTH,
  };
}
