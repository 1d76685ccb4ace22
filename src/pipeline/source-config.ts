import { sourceSecrets, unsealJson } from "../auth/sealed";
import type { SourceRow } from "../db/sources";
import type { Auth } from "../domain/auth";
import { SourceSecrets } from "../domain/source";

const NO_SECRETS: SourceSecrets = {};
const NO_AUTH: Auth = { type: "none" };

/**
 * Opened source secrets by row and ciphertext: a save re-seals with a fresh IV, so an edit is a new key by itself,
 * and a warm isolate checks an inbound HMAC or fetches from an origin without decrypting. Bounded, oldest out first.
 */
const opened = new Map<string, Promise<SourceSecrets>>();
const LIMIT = 500;

function secretsOf(env: Env, source: SourceRow): Promise<SourceSecrets> {
  if (!source.secrets_enc) return Promise.resolve(NO_SECRETS);
  const key = `${env.SECRETS_KEY}\n${source.id}\n${source.secrets_enc}`;
  let found = opened.get(key);
  if (!found) {
    found = unsealJson(env.SECRETS_KEY, sourceSecrets(source.id), source.secrets_enc, SourceSecrets);
    found.catch(() => opened.delete(key));
    if (opened.size >= LIMIT) opened.delete(opened.keys().next().value!);
    opened.set(key, found);
  }
  return found;
}

/** A source's readable config (parsed by db/) joined with what is sealed under SECRETS_KEY. */
export async function sourceConfig(env: Env, source: SourceRow) {
  const secrets = await secretsOf(env, source);
  return {
    inbound: source.inbound,
    hmacSecret: secrets.hmac_secret,
    fetch: source.fetch_config,
    fetchAuth: secrets.fetch_auth ?? NO_AUTH,
  };
}
