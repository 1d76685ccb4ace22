import { describe, expect, it } from "vitest";
import {
  ArchiveTargetInput,
  decideFileAttempt,
  hostKeyProblem,
  readSftpUrl,
  redactSftpUrl,
  storedTarget,
  targetInput,
  testFileName,
} from "../../src/domain/archive-target";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

const inputs: Array<Record<string, unknown>> = [
  {
    type: "https_put",
    url: "https://files.example/in/{filename}?tenant=acme",
    auth: { type: "oauth2", token_url: "https://id.example/token", client_id: "c", client_secret: "oauth-secret" },
  },
  {
    type: "s3",
    endpoint: "https://s3.example",
    region: "auto",
    bucket: "imports",
    access_key_id: "AKIA",
    secret_access_key: "s3-secret",
    // biome-ignore lint/suspicious/noThenProperty: CONTRACT §3 names the import trigger `then`; it is never a function, so nothing awaits it
    then: { url: "https://api.example/webhook", auth: { type: "bearer", token: "trigger-secret" }, job_id: "jobId" },
  },
  { type: "sftp", url: "sftp://u%40x:pa%3Ass@sftp.example:2222/in", host_key: HOST_KEY },
  {
    type: "sftp",
    host: "sftp.example",
    username: "u",
    private_key: "-----BEGIN PRIVATE KEY-----\nkey-secret",
    host_key: HOST_KEY,
  },
  { type: "email", to: ["ops@acme.example"] },
];

describe("archive target inputs", () => {
  it("split into what reads back and what is sealed, and join again to the same input", () => {
    for (const raw of inputs) {
      const input = ArchiveTargetInput.parse(raw);
      const { config, secrets } = storedTarget(input);
      expect(JSON.stringify(config)).not.toMatch(/secret|pa%3Ass/);
      const common = {
        type: input.type,
        name: input.name,
        environment: input.environment,
        retry: input.retry,
        connect_timeout_ms: input.connect_timeout_ms,
        transfer_timeout_ms: input.transfer_timeout_ms,
        enabled: input.enabled,
      };
      expect(ArchiveTargetInput.parse(targetInput(common, config, secrets))).toEqual(input);
    }
  });

  it("reads sftp URLs with percent-encoded credentials, and shows them without the password", () => {
    expect(readSftpUrl("sftp://night%40ly:p%3Ass%2Fw@host.example:2222/a%20b")).toEqual({
      host: "host.example",
      port: 2222,
      username: "night@ly",
      password: "p:ss/w",
      directory: "/a b",
    });
    expect(readSftpUrl("sftp://host.example/x")).toMatch(/has no user name/);
    expect(readSftpUrl("ftp://u@host.example/x")).toMatch(/sftp:\/\//);
    expect(redactSftpUrl("sftp://u:secret@host.example:22/in")).toBe("sftp://u:***@host.example:22/in");
    expect(redactSftpUrl("sftp://u@host.example/in")).toBe("sftp://u@host.example/in");
  });

  it("an unreadable sftp url is one error on /url, not also a missing password", () => {
    const result = ArchiveTargetInput.safeParse({ type: "sftp", url: "sftp://u:p%zz@host/x", host_key: HOST_KEY });
    expect(result.success).toBe(false);
    const issues = result.error!.issues.map((issue) => [issue.path.join("/"), issue.message]);
    expect(issues).toEqual([["url", "has a malformed percent-encoding in the password"]]);
  });

  it("takes only an ssh-ed25519 host key whose blob holds a 32-byte key", () => {
    expect(hostKeyProblem(HOST_KEY)).toBeNull();
    expect(hostKeyProblem(`${HOST_KEY} root@sftp`)).toBeNull();
    expect(hostKeyProblem("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ")).toMatch(/ssh-ed25519/);
    expect(hostKeyProblem("ssh-ed25519 !!!")).toMatch(/base64/);
    expect(hostKeyProblem("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==")).toMatch(/32-byte/);
  });

  it("names test files by time, with nothing a file system refuses", () => {
    expect(testFileName(Date.UTC(2026, 10, 21, 2, 3, 4, 567))).toBe("syndic-test-20261121T020304Z.txt");
  });
});

describe("a file delivery attempt's outcome", () => {
  const policy = { max_attempts: 3, initial_delay: 20, max_delay: 3600 };
  it("is sent, retried while it can help and the budget lasts, else dead", () => {
    expect(decideFileAttempt(null, 1, policy)).toEqual({ status: "sent", delaySeconds: null });
    expect(decideFileAttempt({ retryable: false, retryAfter: null }, 1, policy).status).toBe("dead");
    expect(decideFileAttempt({ retryable: true, retryAfter: null }, 3, policy).status).toBe("dead");
    const retry = decideFileAttempt({ retryable: true, retryAfter: null }, 2, policy);
    expect(retry.status).toBe("retrying");
    expect(retry.delaySeconds).toBeGreaterThanOrEqual(32);
    expect(retry.delaySeconds).toBeLessThanOrEqual(48);
    expect(decideFileAttempt({ retryable: true, retryAfter: 120 }, 1, policy).delaySeconds).toBe(120);
  });
});
