import { createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  ed25519PublicKey,
  fingerprint,
  parseHostKey,
  signatureBlob,
  verifySignature,
} from "../../src/transfer/ssh/host-key";
import { parseUserKey } from "../../src/transfer/ssh/user-key";
import { authRequest } from "../../src/transfer/ssh/userauth";
import { SshReader } from "../../src/transfer/ssh/wire";
import { TransferError } from "../../src/transfer/types";

/**
 * Keys written by OpenSSH's own ssh-keygen (test-only, generated for these tests with `ssh-keygen -t ed25519`):
 * the fingerprint is what `ssh-keygen -lf` printed for the public half.
 */
const KEYGEN_PUBLIC = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICRd/o4brmAQutDMOpNoarG2cZOXkTP08Ul2aGc4gNCV syndic-test";
const KEYGEN_FINGERPRINT = "SHA256:FNG78NgyhXakx+VlvKnO7b8dGBx8kAaGgN6F2zVbruY";
const KEYGEN_PRIVATE = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACAkXf6OG65gELrQzDqTaGqxtnGTl5Ez9PFJdmhnOIDQlQAAAJCgkTtvoJE7
bwAAAAtzc2gtZWQyNTUxOQAAACAkXf6OG65gELrQzDqTaGqxtnGTl5Ez9PFJdmhnOIDQlQ
AAAEDo8AsJiXZ1Ou9KMMVWcYH6MX3CzTD2GeExYPXfUJSF3yRd/o4brmAQutDMOpNoarG2
cZOXkTP08Ul2aGc4gNCVAAAAC3N5bmRpYy10ZXN0AQI=
-----END OPENSSH PRIVATE KEY-----
`;
const KEYGEN_ENCRYPTED = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABA3oglWxB
B03CRFdpb4BJHvAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAICsqQiyXRobK6r5r
VwZ7f6V8nonjTpKeKPJ9E0q7MFBWAAAAkN0VEUnjnoqrgzLypvFd/AcMW7A0VyKBwZUKXT
Zsxim+Pe2aEHg4tnSTFupMAEAn/gqbGs6T0ZCEGdtbHXFx5xCzj27Blc4QXDNlQN6JvciT
YyTSsQ0+hPVnweaxRfwQQ1Vyif5FTQTeEaPzcLkOXBzCVOkVshrXWeB/pmw7eGoklPiOpl
r7CAHJYvjMyFNvxg==
-----END OPENSSH PRIVATE KEY-----
`;

const rawPublicKey = (key: ReturnType<typeof createPublicKey>) =>
  Buffer.from(key.export({ format: "jwk" }).x as string, "base64url");
const nodePublicKey = (raw: Uint8Array) =>
  createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(raw).toString("base64url") }, format: "jwk" });

function thrown(action: () => unknown): TransferError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(TransferError);
    return error as TransferError;
  }
  throw new Error("expected a TransferError");
}

describe("the pinned host key", () => {
  it("reads known_hosts and .pub lines, with or without host patterns and comments", () => {
    const key = parseHostKey(KEYGEN_PUBLIC);
    expect(key.fingerprint).toBe(KEYGEN_FINGERPRINT);
    expect(key.publicKey).toHaveLength(32);
    expect(parseHostKey(`[sftp.example.com]:2222,10.0.0.5 ${KEYGEN_PUBLIC}\n`).fingerprint).toBe(KEYGEN_FINGERPRINT);
    expect(parseHostKey(KEYGEN_PUBLIC.split(" ").slice(0, 2).join(" ")).blob).toEqual(key.blob);
  });

  it("parses the RFC 8709 blob and prints the fingerprint as OpenSSH does", () => {
    const blob = Buffer.from(KEYGEN_PUBLIC.split(" ")[1], "base64");
    const key = ed25519PublicKey(blob, "test key");
    expect(Buffer.from(key)).toEqual(blob.subarray(blob.length - 32));
    expect(fingerprint(blob)).toBe(KEYGEN_FINGERPRINT);
  });

  it("says what is wrong with a key it cannot pin, retryable=false", () => {
    const rsa = thrown(() => parseHostKey("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDX"));
    expect(rsa.message).toBe("host_key must be an ssh-ed25519 key (got ssh-rsa)");
    expect(rsa.retryable).toBe(false);
    expect(thrown(() => parseHostKey("AAAAC3NzaC1lZDI1NTE5")).message).toMatch(/known_hosts form/);
    expect(thrown(() => parseHostKey("ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAAAgQDX")).message).toMatch(
      /not an ssh-ed25519 public key/,
    );
  });

  it("verifies an RFC 8709 signature blob and refuses anything else", () => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const data = Buffer.from("exchange hash H");
    const blob = signatureBlob(sign(null, data, privateKey));
    expect(verifySignature(rawPublicKey(publicKey), blob, data)).toBe(true);
    expect(verifySignature(rawPublicKey(publicKey), blob, Buffer.from("another H"))).toBe(false);
    const tampered = Uint8Array.from(blob);
    tampered[tampered.length - 1] ^= 1;
    expect(verifySignature(rawPublicKey(publicKey), tampered, data)).toBe(false);
    expect(verifySignature(rawPublicKey(publicKey), blob.subarray(0, 20), data)).toBe(false);
  });
});

describe("the client's private key", () => {
  it("reads an unencrypted OpenSSH key and signs what its public half verifies", () => {
    const key = parseUserKey(KEYGEN_PRIVATE);
    expect(Buffer.from(key.publicKey)).toEqual(Buffer.from(parseHostKey(KEYGEN_PUBLIC).publicKey));
  });

  it("reads PKCS#8 PEM, with Windows line ends too", () => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    expect(Buffer.from(parseUserKey(pem).publicKey)).toEqual(rawPublicKey(publicKey));
    expect(Buffer.from(parseUserKey(pem.replace(/\n/g, "\r\n")).publicKey)).toEqual(rawPublicKey(publicKey));
  });

  it("refuses encrypted, non-Ed25519 and damaged keys without showing them", () => {
    expect(thrown(() => parseUserKey(KEYGEN_ENCRYPTED)).message).toBe(
      "private_key is encrypted: give the key without a passphrase",
    );
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey;
    expect(thrown(() => parseUserKey(rsa.export({ format: "pem", type: "pkcs8" }).toString())).message).toMatch(
      /not an Ed25519 key/,
    );
    expect(thrown(() => parseUserKey(rsa.export({ format: "pem", type: "pkcs1" }).toString())).message).toMatch(
      /RSA PRIVATE KEY: only Ed25519/,
    );
    const lines = KEYGEN_PRIVATE.split("\n");
    const truncated = [...lines.slice(0, 3), lines.at(-2), ""].join("\n");
    const damaged = thrown(() => parseUserKey(truncated));
    expect(damaged.message).toMatch(/^private_key is damaged/);
    expect(damaged.message).not.toContain("b3BlbnNz");
    expect(thrown(() => parseUserKey("not a key")).message).toMatch(/not a PEM block/);
  });
});

describe("the publickey login request (RFC 4252 §7)", () => {
  it("signs session id || the request up to the signature, with the key's public blob in it", () => {
    const key = parseUserKey(KEYGEN_PRIVATE);
    const sessionId = Buffer.alloc(32, 5);
    const request = authRequest("bob", { key }, sessionId);
    const reader = new SshReader(request);
    expect(reader.byte()).toBe(50);
    expect([reader.text(), reader.text(), reader.text(), reader.boolean(), reader.text()]).toEqual([
      "bob",
      "ssh-connection",
      "publickey",
      true,
      "ssh-ed25519",
    ]);
    const publicBlob = reader.string();
    expect(Buffer.from(publicBlob).toString("base64")).toBe(KEYGEN_PUBLIC.split(" ")[1]);
    const signedLength = request.length - reader.remaining;
    const signature = new SshReader(reader.string());
    expect(signature.text()).toBe("ssh-ed25519");
    const raw = signature.string();
    const length = Buffer.alloc(4);
    length.writeUInt32BE(sessionId.length);
    const signed = Buffer.concat([length, sessionId, request.subarray(0, signedLength)]);
    expect(verify(null, signed, nodePublicKey(key.publicKey), raw)).toBe(true);
  });

  it("sends a password request without the change flag", () => {
    const reader = new SshReader(authRequest("alice", { password: "pw" }, new Uint8Array(32)));
    reader.byte();
    expect([reader.text(), reader.text(), reader.text(), reader.boolean(), reader.text()]).toEqual([
      "alice",
      "ssh-connection",
      "password",
      false,
      "pw",
    ]);
    expect(reader.remaining).toBe(0);
  });
});
