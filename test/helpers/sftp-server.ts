import { type ChildProcess, spawn } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { connect, createServer, type Socket, type Server as TcpServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join, posix } from "node:path";
import { type AuthenticationType, type Connection, Server, type ServerConfig, utils } from "ssh2";
import { serveSftp } from "../../scripts/sftp-subsystem.mjs";

/**
 * Loopback SSH servers for the SFTP tests: the `ssh2` package's server with a small SFTP subsystem on disk (each
 * user in a root of its own, login directory `/home`), proxies that stall or drop a connection part-way, a port
 * that accepts and never speaks, and OpenSSH's sshd when the machine has one. An HTTP control port lets the
 * workerd tests read back what arrived and in which order, since workerd cannot read the disk.
 */

export interface SftpUsers {
  password: { username: string; password: string };
  /** Refused by the `password` method; takes the same kind of password through keyboard-interactive prompts. */
  keyboard: { username: string; password: string };
  /** OpenSSH-format private key (written by ssh2's key generator, not by Syndic's code). */
  openssh: { username: string; privateKey: string };
  /** PKCS#8 PEM private key (written by node:crypto). */
  pkcs8: { username: string; privateKey: string };
}

export interface SftpFixture {
  host: string;
  hostKey: string;
  /** A valid ssh-ed25519 key that is not the servers'. */
  otherHostKey: string;
  users: SftpUsers;
  ports: {
    /** The ssh2 server with its default algorithms. */
    main: number;
    /** Only aes256-ctr and hmac-sha2-512 (no encrypt-then-MAC): the other half of the client's algorithms. */
    alternate: number;
    /** Only AES-GCM: nothing in common with Syndic. */
    noCommonCipher: number;
    /** Accepts TCP and never sends its version line. */
    silent: number;
    /** Forwards to `main`, then stops forwarding the client's bytes after 256 KiB. */
    stallAfter: number;
    /** Forwards to `main`, then cuts both sockets after 256 KiB of the client's bytes. */
    dropAfter: number;
  };
  controlUrl: string;
  /** OpenSSH's sshd with internal-sftp (the `openssh` user's key logs in as `username`), or why it is not running. */
  sshd: { port: number; username: string; directory: string } | { skipped: string };
}

export interface SftpOperation {
  server: string;
  user: string;
  op: "open" | "write" | "close" | "remove" | "rename" | "rekey";
  path: string;
  to?: string;
  offset?: number;
  length?: number;
  status: string;
}

const INTERRUPT_AFTER = 256 * 1024;
/** A file whose name contains this makes the server start a key re-exchange once 1 MiB of it has arrived. */
export const REKEY_MARKER = "rekey";
const REKEY_AFTER = 1024 * 1024;

export async function startSftpServers(): Promise<{ fixture: SftpFixture; close: () => Promise<void> }> {
  const root = mkdtempSync(join(tmpdir(), "syndic-sftp-"));
  const host = utils.generateKeyPairSync("ed25519");
  const other = utils.generateKeyPairSync("ed25519");
  const openssh = utils.generateKeyPairSync("ed25519");
  const pkcs8 = generateKeyPairSync("ed25519");
  const pkcs8Public = `ssh-ed25519 ${sshPublicBlob(pkcs8.publicKey.export({ format: "jwk" }).x as string).toString("base64")}`;

  const users: SftpUsers = {
    password: { username: "alice", password: "p@ss:w/rd#1 ü%" },
    keyboard: { username: "dave", password: "pam-only secret" },
    openssh: { username: "bob", privateKey: openssh.private },
    pkcs8: { username: "carol", privateKey: pkcs8.privateKey.export({ format: "pem", type: "pkcs8" }).toString() },
  };
  const keys = new Map([
    [users.openssh.username, utils.parseKey(openssh.public)],
    [users.pkcs8.username, utils.parseKey(pkcs8Public)],
  ]);
  const operations: SftpOperation[] = [];
  const closers: Array<() => Promise<void> | void> = [];

  const serve = async (name: string, algorithms?: ServerConfig["algorithms"]) => {
    const clients = new Set<Connection>();
    const server = new Server({ hostKeys: [host.private], algorithms }, (client) => {
      clients.add(client);
      client.on("close", () => clients.delete(client));
      handleClient(client, name, root, users, keys, operations);
    });
    const port = await listen(server);
    closers.push(() => {
      // server.close waits for every connection to end: end the ones a failed test left open.
      for (const client of clients) client.end();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });
    return port;
  };
  const main = await serve("main");
  const alternate = await serve("alternate", { cipher: ["aes256-ctr"], hmac: ["hmac-sha2-512"] });
  const noCommonCipher = await serve("no-common-cipher", { cipher: ["aes128-gcm@openssh.com"] });

  const silent = await tcpServer((socket) => socket.on("error", () => {}), closers);
  const stallAfter = await tcpServer(interruptingProxy(main, "stall"), closers);
  const dropAfter = await tcpServer(interruptingProxy(main, "drop"), closers);

  const control = createHttpServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://control");
    const reply = (body: unknown) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === "/operations") return reply(operations);
    if (url.pathname === "/file") {
      const user = url.searchParams.get("user") ?? "";
      const file = url.searchParams.get("absolute") ?? onDisk(root, user, url.searchParams.get("path") ?? "");
      if (!existsSync(file)) return reply({ exists: false });
      const bytes = readFileSync(file);
      return reply({ exists: true, size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
    }
    res.writeHead(404).end();
  });
  const controlPort = await listen(control);
  closers.push(() => new Promise<void>((resolve) => control.close(() => resolve())));

  const sshd = await startSshd(root, openssh, host, closers);

  const fixture: SftpFixture = {
    host: "127.0.0.1",
    hostKey: host.public,
    otherHostKey: other.public,
    users,
    ports: { main, alternate, noCommonCipher, silent, stallAfter, dropAfter },
    controlUrl: `http://127.0.0.1:${controlPort}`,
    sshd,
  };
  return {
    fixture,
    close: async () => {
      for (const close of closers.reverse()) await close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function handleClient(
  client: Connection,
  server: string,
  root: string,
  users: SftpUsers,
  keys: Map<string, ReturnType<typeof utils.parseKey>>,
  operations: SftpOperation[],
): void {
  let user = "";
  client.on("error", () => {});
  client.on("authentication", (ctx) => {
    const methods: AuthenticationType[] = ["password", "publickey"];
    if (ctx.username === users.keyboard.username) {
      if (ctx.method !== "keyboard-interactive") return ctx.reject(["keyboard-interactive"]);
      return ctx.prompt([{ prompt: "Password: ", echo: false }], (answers) => {
        if (answers[0] !== users.keyboard.password) return ctx.reject(["keyboard-interactive"]);
        user = ctx.username;
        ctx.accept();
      });
    }
    if (ctx.method === "password") {
      const ok = ctx.username === users.password.username && ctx.password === users.password.password;
      if (!ok) return ctx.reject(methods);
      user = ctx.username;
      return ctx.accept();
    }
    if (ctx.method === "publickey") {
      const key = keys.get(ctx.username);
      if (!key || key instanceof Error || ctx.key.algo !== "ssh-ed25519") return ctx.reject(methods);
      if (!ctx.key.data.equals(key.getPublicSSH())) return ctx.reject(methods);
      if (!ctx.signature) return ctx.accept();
      if (key.verify(ctx.blob as Buffer, ctx.signature) !== true) return ctx.reject(methods);
      user = ctx.username;
      return ctx.accept();
    }
    ctx.reject(methods);
  });
  client.on("ready", () => {
    client.on("session", (accept) => {
      const session = accept();
      session.on("sftp", (acceptSftp) => {
        const sftp = acceptSftp();
        let rekeyed = false;
        const record = (entry: Omit<SftpOperation, "server" | "user">) => operations.push({ server, user, ...entry });
        serveSftp(sftp, {
          onDisk: (path) => onDisk(root, user, path),
          record,
          refuseOpen: (path) => path.startsWith("/readonly/"),
          afterWrite(open) {
            if (!rekeyed && open.path.includes(REKEY_MARKER) && open.written >= REKEY_AFTER) {
              rekeyed = true;
              client.rekey(() => record({ op: "rekey", path: open.path, status: "ok" }));
            }
          },
        });
      });
    });
  });
}

/** Where an SFTP path of `user` lives: absolute paths from the user's root, relative ones from `/home`. */
export function onDisk(root: string, user: string, path: string): string {
  const inside = posix.resolve("/home", path);
  const userRoot = join(root, "users", user || "nobody");
  for (const dir of ["home", "upload", "readonly"]) mkdirSync(join(userRoot, dir), { recursive: true });
  return join(userRoot, inside);
}

function interruptingProxy(target: number, mode: "stall" | "drop") {
  return (client: Socket) => {
    const upstream = connect(target, "127.0.0.1");
    let forwarded = 0;
    client.on("error", () => {});
    upstream.on("error", () => {});
    upstream.pipe(client);
    client.on("data", (data: Buffer) => {
      if (forwarded >= INTERRUPT_AFTER) {
        if (mode === "drop") {
          client.destroy();
          upstream.destroy();
        }
        return;
      }
      forwarded += data.length;
      upstream.write(data);
    });
    client.on("close", () => upstream.destroy());
  };
}

async function tcpServer(onSocket: (socket: Socket) => void, closers: Array<() => Promise<void> | void>) {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    onSocket(socket);
  });
  const port = await listen(server);
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return port;
}

function listen(server: TcpServer | Server | ReturnType<typeof createHttpServer>): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
}

/** `string "ssh-ed25519", string key` from a JWK's base64url x. */
function sshPublicBlob(x: string): Buffer {
  const string = (bytes: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);
  return Buffer.concat([string(Buffer.from("ssh-ed25519")), string(Buffer.from(x, "base64url"))]);
}

const SSHD = "/usr/sbin/sshd";

/** OpenSSH's server for the interop test: key login for the current user, internal-sftp, loopback only. */
async function startSshd(
  root: string,
  userKey: { public: string },
  hostKey: { private: string; public: string },
  closers: Array<() => Promise<void> | void>,
): Promise<SftpFixture["sshd"]> {
  if (!existsSync(SSHD)) return { skipped: `${SSHD} is not installed` };
  const dir = join(root, "sshd");
  mkdirSync(join(dir, "upload"), { recursive: true });
  mkdirSync("/run/sshd", { recursive: true });
  writeFileSync(join(dir, "host_ed25519"), hostKey.private, { mode: 0o600 });
  writeFileSync(join(dir, "authorized_keys"), `${userKey.public}\n`, { mode: 0o600 });
  const port = await freePort();
  const config = [
    `Port ${port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${join(dir, "host_ed25519")}`,
    `PidFile ${join(dir, "sshd.pid")}`,
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    "StrictModes no",
    "UsePAM no",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PubkeyAuthentication yes",
    "PermitRootLogin prohibit-password",
    "Subsystem sftp internal-sftp",
    "LogLevel ERROR",
  ].join("\n");
  writeFileSync(join(dir, "sshd_config"), `${config}\n`);
  const child: ChildProcess = spawn(SSHD, ["-D", "-e", "-f", join(dir, "sshd_config")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  );
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return { skipped: `sshd exited (${child.exitCode}): ${stderr.slice(0, 300)}` };
    if (await accepts(port)) {
      return { port, username: userInfo().username, directory: join(dir, "upload") };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { skipped: "sshd did not start listening within 10 s" };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
