import { describe, expect, inject, it } from "vitest";
import { parseSftpUrl, type SftpTarget, sftpUpload } from "../../src/transfer/sftp";
import { type OutgoingFile, TransferError, type TransferLimits } from "../../src/transfer/types";
import { unique } from "../helpers/api";
import type { SftpOperation } from "../helpers/sftp-server";

/**
 * Syndic's SSH client in workerd, over cloudflare:sockets, against the `ssh2` package's server on 127.0.0.1
 * (test/helpers/sftp-server.ts): logins, the temporary-name-then-rename sequence, windows, re-keying, and every
 * way the nightly reference's connection can fail. What arrived is read back through the helper's control port.
 */

const sftp = inject("sftp");
const LIMITS: TransferLimits = { connectTimeoutMs: 10_000, transferTimeoutMs: 30_000 };
const MiB = 1024 * 1024;

function target(overrides: Partial<SftpTarget> = {}): SftpTarget {
  return {
    host: sftp.host,
    port: sftp.ports.main,
    username: sftp.users.password.username,
    password: sftp.users.password.password,
    privateKey: null,
    hostKey: sftp.hostKey,
    directory: "/upload",
    ...overrides,
  };
}

function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 65536) crypto.getRandomValues(bytes.subarray(offset, offset + 65536));
  return bytes;
}

/** Streams in 60,000-byte pieces, so the client's re-cutting into WRITE requests is exercised too. */
function fileOf(name: string, bytes: Uint8Array): OutgoingFile {
  return {
    name,
    size: bytes.length,
    contentType: "application/zip",
    sha256: null,
    open: async () => {
      let offset = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= bytes.length) return controller.close();
          controller.enqueue(bytes.slice(offset, offset + 60_000));
          offset += 60_000;
        },
      });
    },
  };
}

async function sha256(bytes: Uint8Array): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}

async function remoteFile(user: string, path: string): Promise<{ exists: boolean; size?: number; sha256?: string }> {
  const query = new URLSearchParams({ user, path });
  return (await fetch(`${sftp.controlUrl}/file?${query}`)).json();
}

async function absoluteFile(path: string): Promise<{ exists: boolean; size?: number; sha256?: string }> {
  return (await fetch(`${sftp.controlUrl}/file?${new URLSearchParams({ absolute: path })}`)).json();
}

/** What the server did with this file, in order, writes left out. */
async function operations(name: string): Promise<SftpOperation[]> {
  const all: SftpOperation[] = await (await fetch(`${sftp.controlUrl}/operations`)).json();
  return all.filter((entry) => entry.op !== "write" && (entry.path.includes(name) || entry.to?.includes(name)));
}

async function failure(upload: Promise<unknown>): Promise<TransferError> {
  const outcome = await upload.then(
    () => null,
    (error) => error,
  );
  expect(outcome).toBeInstanceOf(TransferError);
  return outcome as TransferError;
}

async function fingerprintOf(knownHostsLine: string): Promise<string> {
  const blob = Uint8Array.from(atob(knownHostsLine.split(" ")[1]), (char) => char.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", blob));
  return `SHA256:${btoa(String.fromCharCode(...digest)).replace(/=+$/, "")}`;
}

describe("SFTP upload to the ssh2 server", () => {
  it("logs in with a password from a percent-encoded sftp:// URL and renames the file into place only when whole", async () => {
    const { username, password } = sftp.users.password;
    const url = `sftp://${encodeURIComponent(username)}:${encodeURIComponent(password)}@${sftp.host}:${sftp.ports.main}/upload`;
    const parsed = parseSftpUrl(url);
    expect(parsed).toEqual({ host: sftp.host, port: sftp.ports.main, username, password, directory: "/upload" });

    const name = `${unique("nightly")}.csv`;
    const bytes = randomBytes(200_000);
    const result = await sftpUpload(
      { ...parsed, privateKey: null, hostKey: sftp.hostKey },
      fileOf(name, bytes),
      LIMITS,
    );
    expect(result).toEqual({ path: `/upload/${name}`, bytes: bytes.length });

    const arrived = await remoteFile(username, `/upload/${name}`);
    expect(arrived).toEqual({ exists: true, size: bytes.length, sha256: await sha256(bytes) });
    expect((await remoteFile(username, `/upload/.${name}.part`)).exists).toBe(false);

    const temporary = `/upload/.${name}.part`;
    const final = `/upload/${name}`;
    const steps = (await operations(name)).map(({ op, path, to, status }) => ({ op, path, to, status }));
    expect(steps).toEqual([
      { op: "open", path: temporary, to: undefined, status: "ok" },
      { op: "close", path: temporary, to: undefined, status: "ok" },
      // ssh2's server lists no posix-rename, so the client clears the way for a v3 RENAME first.
      { op: "remove", path: final, to: undefined, status: "no such file" },
      { op: "rename", path: temporary, to: final, status: "ok" },
    ]);
    const all: SftpOperation[] = await (await fetch(`${sftp.controlUrl}/operations`)).json();
    const writes = all.filter((entry) => entry.op === "write" && entry.path === temporary);
    expect(writes.reduce((sum, write) => sum + (write.length ?? 0), 0)).toBe(bytes.length);
    expect(writes.every((write) => (write.length ?? 0) <= 32 * 1024)).toBe(true);
  });

  it("logs in with an OpenSSH-format Ed25519 key and sends a file of several windows to the login directory", async () => {
    const { username, privateKey } = sftp.users.openssh;
    const name = `${unique("weekly")}.zip`;
    const bytes = randomBytes(3 * MiB);
    const result = await sftpUpload(
      target({ username, password: null, privateKey, directory: "" }),
      fileOf(name, bytes),
      LIMITS,
    );
    expect(result).toEqual({ path: name, bytes: bytes.length });
    expect(await remoteFile(username, `/home/${name}`)).toEqual({
      exists: true,
      size: bytes.length,
      sha256: await sha256(bytes),
    });
  });

  it("logs in with a PKCS#8 Ed25519 key over aes256-ctr and hmac-sha2-512", async () => {
    const { username, privateKey } = sftp.users.pkcs8;
    const name = `${unique("alternate")}.zip`;
    const bytes = randomBytes(MiB + 123);
    await sftpUpload(
      target({ port: sftp.ports.alternate, username, password: null, privateKey, directory: "/upload/" }),
      fileOf(name, bytes),
      LIMITS,
    );
    expect((await remoteFile(username, `/upload/${name}`)).sha256).toBe(await sha256(bytes));
  });

  it("answers keyboard-interactive prompts with the password when the server takes it only that way", async () => {
    const { username, password } = sftp.users.keyboard;
    const name = `${unique("pam")}.csv`;
    const bytes = randomBytes(5000);
    await sftpUpload(target({ username, password }), fileOf(name, bytes), LIMITS);
    expect((await remoteFile(username, `/upload/${name}`)).sha256).toBe(await sha256(bytes));
    const refused = await failure(sftpUpload(target({ username, password: "wrong" }), fileOf(name, bytes), LIMITS));
    expect([refused.retryable, refused.message]).toEqual([
      true,
      expect.stringContaining(`login refused for user ${username} (password, then keyboard-interactive;`),
    ]);
  });

  it("carries on through a key re-exchange the server starts mid-transfer", async () => {
    const name = `${unique("rekey")}.zip`;
    const bytes = randomBytes(3 * MiB);
    await sftpUpload(target(), fileOf(name, bytes), LIMITS);
    expect((await remoteFile(sftp.users.password.username, `/upload/${name}`)).sha256).toBe(await sha256(bytes));
    expect((await operations(name)).some((entry) => entry.op === "rekey")).toBe(true);
  });

  it("replaces a file of the same name left by an earlier delivery", async () => {
    const name = `${unique("again")}.zip`;
    await sftpUpload(target(), fileOf(name, randomBytes(1000)), LIMITS);
    const second = randomBytes(2000);
    await sftpUpload(target(), fileOf(name, second), LIMITS);
    expect(await remoteFile(sftp.users.password.username, `/upload/${name}`)).toMatchObject({
      size: 2000,
      sha256: await sha256(second),
    });
    const removals = (await operations(name)).filter((entry) => entry.op === "remove").map((entry) => entry.status);
    expect(removals).toEqual(["no such file", "ok"]);
  });

  it("sends an empty file", async () => {
    const name = `${unique("empty")}.csv`;
    expect(await sftpUpload(target(), fileOf(name, new Uint8Array(0)), LIMITS)).toMatchObject({ bytes: 0 });
    expect(await remoteFile(sftp.users.password.username, `/upload/${name}`)).toMatchObject({ exists: true, size: 0 });
  });
});

describe("SFTP failures", () => {
  it("refuses a server whose host key is not the pinned one, for good, naming both fingerprints", async () => {
    const name = `${unique("mitm")}.zip`;
    const error = await failure(
      sftpUpload(target({ hostKey: sftp.otherHostKey }), fileOf(name, randomBytes(10)), LIMITS),
    );
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("host key mismatch");
    expect(error.message).toContain(`pinned ${await fingerprintOf(sftp.otherHostKey)}`);
    expect(error.message).toContain(`the server offered ${await fingerprintOf(sftp.hostKey)}`);
    expect(await operations(name)).toEqual([]);
  });

  it("reports a refused login as retryable, without the password", async () => {
    const error = await failure(
      sftpUpload(target({ password: "wrong-password" }), fileOf(`${unique("refused")}.zip`, randomBytes(10)), LIMITS),
    );
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(`login refused for user ${sftp.users.password.username}`);
    expect(error.message).not.toContain("wrong-password");
  });

  it("refuses a key the server does not know for that user", async () => {
    const error = await failure(
      sftpUpload(
        target({ username: sftp.users.pkcs8.username, password: null, privateKey: sftp.users.openssh.privateKey }),
        fileOf(`${unique("wrong-key")}.zip`, randomBytes(10)),
        LIMITS,
      ),
    );
    expect([error.retryable, error.message]).toEqual([
      true,
      expect.stringContaining(`login refused for user ${sftp.users.pkcs8.username} (publickey`),
    ]);
  });

  it("gives up for good when the server shares no cipher", async () => {
    const error = await failure(
      sftpUpload(target({ port: sftp.ports.noCommonCipher }), fileOf(`${unique("gcm")}.zip`, randomBytes(10)), LIMITS),
    );
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("no common cipher algorithm: the server offers aes128-gcm@openssh.com");
  });

  it("times out connecting to a server that never says its version, and closes the socket", async () => {
    const started = Date.now();
    const error = await failure(
      sftpUpload(target({ port: sftp.ports.silent }), fileOf(`${unique("silent")}.zip`, randomBytes(10)), {
        connectTimeoutMs: 500,
        transferTimeoutMs: 30_000,
      }),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain("connecting timed out after 500 ms (waiting for the server's SSH version)");
  });

  it("times out a transfer that stalls part-way, leaving nothing under the final name", async () => {
    const name = `${unique("stall")}.zip`;
    const started = Date.now();
    const error = await failure(
      sftpUpload(target({ port: sftp.ports.stallAfter }), fileOf(name, randomBytes(3 * MiB)), {
        connectTimeoutMs: 5_000,
        transferTimeoutMs: 1_500,
      }),
    );
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(`the transfer timed out after 1500 ms (writing /upload/.${name}.part)`);
    expect((await remoteFile(sftp.users.password.username, `/upload/${name}`)).exists).toBe(false);
  });

  it("reports a connection dropped mid-transfer as retryable, leaving nothing under the final name", async () => {
    const name = `${unique("drop")}.zip`;
    const error = await failure(
      sftpUpload(target({ port: sftp.ports.dropAfter }), fileOf(name, randomBytes(3 * MiB)), LIMITS),
    );
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/the (server closed the connection|connection was lost).* while writing/);
    expect((await remoteFile(sftp.users.password.username, `/upload/${name}`)).exists).toBe(false);
  });

  it("reports a refused TCP connection as retryable", async () => {
    const error = await failure(
      sftpUpload(target({ port: 1 }), fileOf(`${unique("closed")}.zip`, randomBytes(10)), LIMITS),
    );
    expect(error.retryable).toBe(true);
    expect(error.message).toContain("could not connect");
  });

  it("fails for good on a directory that does not exist or is not writable, naming the path", async () => {
    const name = `${unique("nowhere")}.zip`;
    const missing = await failure(sftpUpload(target({ directory: "/missing" }), fileOf(name, randomBytes(10)), LIMITS));
    expect([missing.retryable, missing.message]).toEqual([
      false,
      expect.stringContaining(`open /missing/.${name}.part: no such file or directory`),
    ]);
    const denied = await failure(sftpUpload(target({ directory: "/readonly" }), fileOf(name, randomBytes(10)), LIMITS));
    expect([denied.retryable, denied.message]).toEqual([
      false,
      expect.stringContaining(`open /readonly/.${name}.part: permission denied`),
    ]);
  });

  it("refuses to rename a file that came out shorter than announced", async () => {
    const name = `${unique("short")}.zip`;
    const file = { ...fileOf(name, randomBytes(1000)), size: 5000 };
    const error = await failure(sftpUpload(target(), file, LIMITS));
    expect(error.retryable).toBe(true);
    expect(error.message).toContain("the file gave 1000 bytes where 5000 were expected; not renamed");
    expect((await remoteFile(sftp.users.password.username, `/upload/${name}`)).exists).toBe(false);
  });
});

describe("SFTP upload to OpenSSH", () => {
  const sshd = sftp.sshd;
  const reason = "skipped" in sshd ? ` (skipped: ${sshd.skipped})` : "";
  it.skipIf("skipped" in sshd)(`interoperates with sshd and internal-sftp, using posix-rename${reason}`, async () => {
    if ("skipped" in sshd) return;
    const name = `${unique("openssh")}.zip`;
    const bytes = randomBytes(3 * MiB);
    const upload = () =>
      sftpUpload(
        target({
          port: sshd.port,
          username: sshd.username,
          password: null,
          privateKey: sftp.users.openssh.privateKey,
          directory: sshd.directory,
        }),
        fileOf(name, bytes),
        LIMITS,
      );
    expect(await upload()).toEqual({ path: `${sshd.directory}/${name}`, bytes: bytes.length });
    // Again, onto the file now there: posix-rename replaces it where a v3 RENAME would refuse.
    await upload();
    expect(await absoluteFile(`${sshd.directory}/${name}`)).toEqual({
      exists: true,
      size: bytes.length,
      sha256: await sha256(bytes),
    });
    expect((await absoluteFile(`${sshd.directory}/.${name}.part`)).exists).toBe(false);
  });
});
