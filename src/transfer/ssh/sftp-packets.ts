import { concatBytes } from "@noble/hashes/utils.js";
import { malformed, SshReader, SshWriter } from "./wire";

/**
 * The SFTP version 3 packets an upload needs (draft-ietf-secsh-filexfer-02): `uint32 length, byte type,
 * uint32 request-id, …` each, INIT/VERSION without the id.
 */

export const SFTP = {
  INIT: 1,
  VERSION: 2,
  OPEN: 3,
  CLOSE: 4,
  WRITE: 6,
  REMOVE: 13,
  RENAME: 18,
  STATUS: 101,
  HANDLE: 102,
  EXTENDED: 200,
} as const;

export const SFTP_VERSION = 3;

/** SSH_FXF_* (§6.3). */
export const OPEN_WRITE = 0x02;
export const OPEN_CREATE = 0x08;
export const OPEN_TRUNCATE = 0x10;

/** SSH_FX_* (§7). */
export const STATUS = {
  OK: 0,
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const;

/** OpenSSH's atomic rename that replaces the target (PROTOCOL §4.3), listed by name and version in VERSION. */
export const POSIX_RENAME = "posix-rename@openssh.com";

function packet(body: SshWriter): Uint8Array {
  const bytes = body.finish();
  return new SshWriter().uint32(bytes.length).raw(bytes).finish();
}

export function initPacket(): Uint8Array {
  return packet(new SshWriter().byte(SFTP.INIT).uint32(SFTP_VERSION));
}

/** Opens for writing, created if missing and emptied if present; no attributes (the server's defaults apply). */
export function openPacket(id: number, path: string): Uint8Array {
  const flags = OPEN_WRITE | OPEN_CREATE | OPEN_TRUNCATE;
  return packet(new SshWriter().byte(SFTP.OPEN).uint32(id).string(path).uint32(flags).uint32(0));
}

export function writePacket(id: number, handle: Uint8Array, offset: number, data: Uint8Array): Uint8Array {
  return packet(new SshWriter().byte(SFTP.WRITE).uint32(id).string(handle).uint64(offset).string(data));
}

/** What a WRITE packet adds around its data, so chunks can be sized to fit one channel packet. */
export function writeOverhead(handle: Uint8Array): number {
  return 4 + 1 + 4 + 4 + handle.length + 8 + 4;
}

export function closePacket(id: number, handle: Uint8Array): Uint8Array {
  return packet(new SshWriter().byte(SFTP.CLOSE).uint32(id).string(handle));
}

export function removePacket(id: number, path: string): Uint8Array {
  return packet(new SshWriter().byte(SFTP.REMOVE).uint32(id).string(path));
}

export function renamePacket(id: number, from: string, to: string): Uint8Array {
  return packet(new SshWriter().byte(SFTP.RENAME).uint32(id).string(from).string(to));
}

export function posixRenamePacket(id: number, from: string, to: string): Uint8Array {
  return packet(new SshWriter().byte(SFTP.EXTENDED).uint32(id).string(POSIX_RENAME).string(from).string(to));
}

export interface SftpVersion {
  version: number;
  extensions: Map<string, string>;
}

export function decodeVersion(body: Uint8Array): SftpVersion {
  const reader = new SshReader(body, "SFTP VERSION");
  if (reader.byte() !== SFTP.VERSION) throw malformed("SFTP VERSION");
  const version = reader.uint32();
  const extensions = new Map<string, string>();
  while (reader.remaining > 0) extensions.set(reader.text(), reader.text());
  return { version, extensions };
}

/** A response to a request: STATUS carries `code` and `message`, HANDLE carries `handle`. */
export interface SftpReply {
  type: number;
  id: number;
  code: number;
  message: string;
  handle: Uint8Array | null;
}

export function decodeReply(body: Uint8Array): SftpReply {
  const reader = new SshReader(body, "SFTP reply");
  const reply: SftpReply = { type: reader.byte(), id: reader.uint32(), code: STATUS.OK, message: "", handle: null };
  if (reply.type === SFTP.STATUS) {
    reply.code = reader.uint32();
    // Some v3 servers end the packet after the code: the message and language tag are optional in practice.
    if (reader.remaining > 0) reply.message = reader.text();
  } else if (reply.type === SFTP.HANDLE) {
    reply.handle = reader.string().slice();
  }
  return reply;
}

/** Cuts the channel's byte stream into SFTP packet bodies. */
export class SftpFramer {
  private buffer = new Uint8Array(0);

  constructor(private readonly maxPacket = 256 * 1024) {}

  push(data: Uint8Array): Uint8Array[] {
    this.buffer = this.buffer.length === 0 ? data.slice() : concatBytes(this.buffer, data);
    const bodies: Uint8Array[] = [];
    let offset = 0;
    while (this.buffer.length - offset >= 4) {
      const length = new DataView(this.buffer.buffer, this.buffer.byteOffset + offset, 4).getUint32(0);
      if (length < 1 || length > this.maxPacket) throw malformed(`SFTP packet (length ${length})`);
      if (this.buffer.length - offset - 4 < length) break;
      bodies.push(this.buffer.subarray(offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    this.buffer = this.buffer.subarray(offset);
    return bodies;
  }
}
