import { importPKCS8, SignJWT } from "jose";
import type { AuthOf } from "../domain/auth";
import { AuthConfigError } from "../domain/errors";
import { utf8 } from "../lib/encoding";

type JwtAuth = AuthOf<"jwt">;

/** Imported private keys by algorithm and PEM: parsing a PEM on every push would cost more than the signature. */
const keys = new Map<string, Promise<CryptoKey>>();
const MAX_CACHED_KEYS = 100;

function privateKey(algorithm: "RS256" | "ES256", pem: string): Promise<CryptoKey> {
  const id = `${algorithm}\n${pem}`;
  let key = keys.get(id);
  if (!key) {
    key = importPKCS8(pem.trim(), algorithm).catch((error: Error) => {
      keys.delete(id);
      throw new AuthConfigError(
        `the ${algorithm} key is not a usable PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----): ${error.message}`,
      );
    });
    if (keys.size >= MAX_CACHED_KEYS) keys.delete(keys.keys().next().value as string);
    keys.set(id, key);
  }
  return key;
}

/** A fresh token for every request: the claims plus `iat`, `exp = iat + ttl` and a unique `jti`. */
export async function signJwt(auth: JwtAuth, nowMs: number): Promise<string> {
  const key = auth.algorithm === "HS256" ? utf8.encode(auth.key) : await privateKey(auth.algorithm, auth.key);
  const iat = Math.floor(nowMs / 1000);
  try {
    return await new SignJWT({ ...auth.claims })
      .setProtectedHeader({ alg: auth.algorithm, typ: "JWT" })
      .setIssuedAt(iat)
      .setExpirationTime(iat + auth.ttl)
      .setJti(crypto.randomUUID())
      .sign(key);
  } catch (error) {
    // jose refuses keys that are unfit for the algorithm (e.g. an RSA modulus under 2048 bits).
    throw new AuthConfigError(`cannot sign the ${auth.algorithm} JWT: ${(error as Error).message}`);
  }
}
