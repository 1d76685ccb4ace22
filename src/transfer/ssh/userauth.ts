import { ed25519 } from "@noble/curves/ed25519.js";
import { TransferError } from "../types";
import { refuseGlobalRequest } from "./channel";
import { ED25519, ed25519Blob, signatureBlob } from "./host-key";
import { MSG } from "./messages";
import type { SshTransport } from "./transport";
import type { UserKey } from "./user-key";
import { SshReader, SshWriter } from "./wire";

/**
 * User authentication (RFC 4252): the Ed25519 key, or the password — as the `password` method, then as answers to
 * `keyboard-interactive` prompts (RFC 4256) when the server takes passwords only that way (PAM setups often do).
 */

export type Credential = { password: string } | { key: UserKey };

type Outcome = { success: true } | { success: false; detail: string; methods: string[] };

const CONNECTION_SERVICE = "ssh-connection";
const KEYBOARD_INTERACTIVE = "keyboard-interactive";
/** Prompt rounds answered before giving up (OpenSSH's PAM needs two: the password, then an empty round). */
const MAX_PROMPT_ROUNDS = 4;

export async function login(transport: SshTransport, username: string, credential: Credential): Promise<void> {
  await transport.send(new SshWriter().byte(MSG.SERVICE_REQUEST).string("ssh-userauth").finish());
  await until(transport, MSG.SERVICE_ACCEPT);
  await transport.send(authRequest(username, credential, transport.sessionId));
  let tried = "password" in credential ? "password" : "publickey";
  let outcome = outcomeOf(
    await until(transport, MSG.USERAUTH_SUCCESS, MSG.USERAUTH_FAILURE, MSG.USERAUTH_PASSWD_CHANGEREQ),
  );
  if (!outcome.success && "password" in credential && outcome.methods.includes(KEYBOARD_INTERACTIVE)) {
    tried = `password, then ${KEYBOARD_INTERACTIVE}`;
    outcome = await keyboardInteractive(transport, username, credential.password);
  }
  if (!outcome.success) {
    throw new TransferError(`login refused for user ${username} (${tried}; ${outcome.detail})`, true);
  }
}

export function authRequest(username: string, credential: Credential, sessionId: Uint8Array): Uint8Array {
  const request = requestFor(username);
  if ("password" in credential) return request.string("password").boolean(false).string(credential.password).finish();
  const publicBlob = ed25519Blob(credential.key.publicKey);
  request.string("publickey").boolean(true).string(ED25519).string(publicBlob);
  // RFC 4252 §7: the signature covers the session id and the request up to here.
  const signed = new SshWriter().string(sessionId).raw(request.finish()).finish();
  return request.string(signatureBlob(ed25519.sign(signed, credential.key.seed))).finish();
}

/** Answers each prompt with the password, or with the user name where the prompt echoes (a "login:" question). */
async function keyboardInteractive(transport: SshTransport, username: string, password: string): Promise<Outcome> {
  await transport.send(requestFor(username).string(KEYBOARD_INTERACTIVE).string("").string("").finish());
  for (let round = 0; round < MAX_PROMPT_ROUNDS; round++) {
    const answer = await until(transport, MSG.USERAUTH_SUCCESS, MSG.USERAUTH_FAILURE, MSG.USERAUTH_INFO_REQUEST);
    if (answer[0] !== MSG.USERAUTH_INFO_REQUEST) return outcomeOf(answer);
    const reader = new SshReader(answer, "USERAUTH_INFO_REQUEST");
    reader.byte();
    reader.text(); // name
    reader.text(); // instruction
    reader.text(); // language tag
    const count = reader.uint32();
    const response = new SshWriter().byte(MSG.USERAUTH_INFO_RESPONSE).uint32(count);
    for (let i = 0; i < count; i++) {
      reader.text();
      response.string(reader.boolean() ? username : password);
    }
    await transport.send(response.finish());
  }
  return { success: false, detail: "the server kept asking questions", methods: [] };
}

function requestFor(username: string): SshWriter {
  return new SshWriter().byte(MSG.USERAUTH_REQUEST).string(username).string(CONNECTION_SERVICE);
}

function outcomeOf(answer: Uint8Array): Outcome {
  if (answer[0] === MSG.USERAUTH_SUCCESS) return { success: true };
  if (answer[0] !== MSG.USERAUTH_FAILURE)
    return { success: false, detail: "the server asks for a new password", methods: [] };
  const reader = new SshReader(answer, "USERAUTH_FAILURE");
  reader.byte();
  const methods = reader.nameList();
  return { success: false, detail: `the server accepts ${methods.join(", ") || "no method"}`, methods };
}

/** Reads until one of `types`, skipping the banner and refusing global requests (keepalives) meanwhile. */
async function until(transport: SshTransport, ...types: number[]): Promise<Uint8Array> {
  for (;;) {
    const payload = await transport.receive();
    if (types.includes(payload[0])) return payload;
    if (payload[0] === MSG.USERAUTH_BANNER) continue;
    if (payload[0] === MSG.GLOBAL_REQUEST) {
      await refuseGlobalRequest(transport, payload);
      continue;
    }
    throw new TransferError(`the server sent message ${payload[0]} during login`, false);
  }
}
