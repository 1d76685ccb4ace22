// `npm run file-servers`: the places archive targets send files to, on loopback, for trying them by hand (README:
// "Three reference integrations, step by step"). Everything lands under .wrangler/file-servers/:
//
//   SFTP   127.0.0.1:2222  user acme, password s3cret:p@ss (percent-encoded in a URL: s3cret%3Ap%40ss),
//                          files in sftp/ (the SFTP path /upload is sftp/upload); the host key is made once and kept
//   S3     127.0.0.1:4568  s3rver, bucket alumniq, access key S3RVER / secret S3RVER, objects in s3/
//   SMTP   127.0.0.1:2525  a mail catcher: each message is printed and saved in mail/
//   Import 127.0.0.1:9100  an AlumnIQ stand-in: POST /api/v1/index.cfm/webhook/{job} answers a jobId, and 2 s later
//                          POSTs {"jobId", "status": "SUCCESS"} to the body's notifyWebhook
//
// It writes .wrangler/file-servers/env with the values as shell variables (`source` it) and runs until Ctrl-C.
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { join, posix } from "node:path";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import ssh2 from "ssh2";
import { serveSftp } from "./sftp-subsystem.mjs";

const HOST = "127.0.0.1";
const DIR = join(import.meta.dirname, "..", ".wrangler", "file-servers");
const PORTS = { sftp: 2222, s3: 4568, smtp: 2525, importer: 9100 };
const SFTP_USER = { username: "acme", password: "s3cret:p@ss" };
const BUCKET = "alumniq";
const IMPORT_API_KEY = "aiq-demo-key";
const CALLBACK_DELAY_MS = 2000;

/** Listens, or ends the run saying which port is taken (another `npm run file-servers`, most likely). */
function listen(server, port) {
  return new Promise((resolve) => {
    server.once("error", (error) => {
      console.error(
        `127.0.0.1:${port}: ${error.code === "EADDRINUSE" ? "already in use (is another npm run file-servers running?)" : error.message}`,
      );
      process.exit(1);
    });
    server.listen(port, HOST, () => resolve(server));
  });
}

const log = (what, text) => console.log(`${new Date().toISOString().slice(11, 19)} ${what.padEnd(6)} ${text}`);
for (const sub of ["sftp/upload", "s3", "mail"]) mkdirSync(join(DIR, sub), { recursive: true });

/** The SSH host key, made on the first run and kept, so a pinned host_key stays right across restarts. */
function hostKey() {
  const file = join(DIR, "ssh_host_ed25519");
  if (!existsSync(file)) {
    const pair = ssh2.utils.generateKeyPairSync("ed25519");
    writeFileSync(file, pair.private, { mode: 0o600 });
    writeFileSync(`${file}.pub`, `${pair.public.trim()}\n`);
  }
  return { private: readFileSync(file, "utf8"), public: readFileSync(`${file}.pub`, "utf8").trim() };
}

function startSftp(key) {
  const root = join(DIR, "sftp");
  const onDisk = (path) => join(root, posix.resolve("/", path));
  const server = new ssh2.Server({ hostKeys: [key.private] }, (client) => {
    client.on("error", () => {});
    client.on("authentication", (ctx) => {
      const ok =
        ctx.method === "password" && ctx.username === SFTP_USER.username && ctx.password === SFTP_USER.password;
      if (!ok) return ctx.reject(["password"]);
      log("sftp", `login ${ctx.username}`);
      ctx.accept();
    });
    client.on("ready", () =>
      client.on("session", (accept) =>
        accept().on("sftp", (acceptSftp) =>
          serveSftp(acceptSftp(), {
            onDisk,
            record: (entry) => {
              if (entry.op === "rename") log("sftp", `${entry.path} -> ${entry.to} (${entry.status})`);
            },
          }),
        ),
      ),
    );
  });
  return listen(server, PORTS.sftp);
}

async function startS3() {
  // s3rver is CommonJS.
  const S3rver = createRequire(import.meta.url)("s3rver");
  const s3 = new S3rver({
    address: HOST,
    port: PORTS.s3,
    silent: true,
    directory: join(DIR, "s3"),
    configureBuckets: [{ name: BUCKET }],
  });
  await s3.run();
  return s3;
}

function startSmtp() {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    onData(stream, _session, callback) {
      simpleParser(stream).then((mail) => {
        const name = `${Date.now()}-${randomUUID().slice(0, 8)}.eml`;
        writeFileSync(join(DIR, "mail", name), `Subject: ${mail.subject}\nTo: ${mail.to?.text}\n\n${mail.text}`);
        log("smtp", `"${mail.subject}" to ${mail.to?.text} (mail/${name})`);
        const link = /https?:\/\/\S+\/v1\/links\/\S+/.exec(mail.text ?? "")?.[0];
        if (link) log("smtp", `link: ${link}`);
        callback();
      }, callback);
    },
  });
  return listen(server, PORTS.smtp);
}

/** AlumnIQ's import webhook, as its documentation describes it (../shared/reference/001_…). */
function startImporter() {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const reply = (status, payload) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(payload));
      };
      const job = /^\/api\/v1\/index\.cfm\/webhook\/([\w-]+)$/.exec(req.url ?? "")?.[1];
      if (req.method !== "POST" || !job) return reply(404, { errors: [`Invalid Job Name: ${req.url}`] });
      let input;
      try {
        input = JSON.parse(body);
      } catch {
        return reply(400, { errors: ["The body is not JSON"] });
      }
      if (input.apiKey !== IMPORT_API_KEY) return reply(401, { errors: ["Invalid API key"] });
      if (!input.filename) return reply(400, { errors: ["Missing required option: Filename"] });
      const jobId = randomUUID().toUpperCase();
      log("import", `job ${job}: ${input.filename} queued as ${jobId}`);
      reply(200, {
        jobId,
        job,
        filename: input.filename,
        notificationSettings: { emails: input.notifyEmail ?? "", webhook: input.notifyWebhook ?? "" },
      });
      if (!input.notifyWebhook) return;
      setTimeout(async () => {
        const report = { jobId, status: "SUCCESS", errors: null, executionCompleted: true };
        const answer = await fetch(input.notifyWebhook, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(report),
        }).catch((error) => ({ status: String(error) }));
        log("import", `job ${jobId} done, callback answered ${answer.status}`);
      }, CALLBACK_DELAY_MS);
    });
  });
  return listen(server, PORTS.importer);
}

const key = hostKey();
const servers = [await startSftp(key), await startS3(), await startSmtp(), await startImporter()];
const sftpPassword = encodeURIComponent(SFTP_USER.password);
const env = {
  SFTP_URL: `sftp://${SFTP_USER.username}:${sftpPassword}@${HOST}:${PORTS.sftp}/upload`,
  SFTP_HOST_KEY: key.public,
  SFTP_DIR: join(DIR, "sftp", "upload"),
  S3_ENDPOINT: `http://${HOST}:${PORTS.s3}`,
  S3_BUCKET: BUCKET,
  S3_DIR: join(DIR, "s3", BUCKET),
  SMTP_URL: `smtp://${HOST}:${PORTS.smtp}`,
  MAIL_DIR: join(DIR, "mail"),
  IMPORT_URL: `http://${HOST}:${PORTS.importer}/api/v1/index.cfm/webhook/warehouse`,
  IMPORT_API_KEY,
};
const quote = (value) => `'${value.replaceAll("'", "'\\''")}'`;
writeFileSync(
  join(DIR, "env"),
  `${Object.entries(env)
    .map(([k, v]) => `export ${k}=${quote(v)}`)
    .join("\n")}\n`,
);
for (const [name, value] of Object.entries(env)) console.log(`${name.padEnd(14)} ${value}`);
console.log(`\nsource .wrangler/file-servers/env   # these as shell variables; Ctrl-C stops the servers`);

const stop = async () => {
  const [sftp, s3, smtp, importer] = servers;
  await Promise.allSettled([
    new Promise((resolve) => sftp.close(resolve)),
    s3.close(),
    new Promise((resolve) => smtp.close(resolve)),
    new Promise((resolve) => importer.close(resolve)),
  ]);
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
