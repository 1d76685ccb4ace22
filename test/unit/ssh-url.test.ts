import { describe, expect, it } from "vitest";
import { parseSftpUrl } from "../../src/transfer/ssh/url";
import { TransferError } from "../../src/transfer/types";

/** The nightly SFTP reference's URL form, and its list of characters that must be percent-encoded. */
const SPECIAL = "][?/<~#`!@$%^&*}+=:\";',>{ ";
const ENCODED = "%5D%5B%3F%2F%3C%7E%23%60%21%40%24%25%5E%26%2A%7D%2B%3D%3A%22%3B%27%2C%3E%7B%20";

function refusal(url: string): TransferError {
  try {
    parseSftpUrl(url);
  } catch (error) {
    expect(error).toBeInstanceOf(TransferError);
    expect((error as TransferError).retryable).toBe(false);
    return error as TransferError;
  }
  throw new Error("expected the URL to be refused");
}

describe("parseSftpUrl", () => {
  it("reads the reference's example", () => {
    expect(parseSftpUrl("sftp://username:password@host:22/path")).toEqual({
      host: "host",
      port: 22,
      username: "username",
      password: "password",
      directory: "/path",
    });
  });

  it("decodes every character the reference says to encode, in user name and password", () => {
    expect(decodeURIComponent(ENCODED)).toBe(SPECIAL);
    const parsed = parseSftpUrl(`sftp://u${ENCODED}:p${ENCODED}@sftp.example.com/upload`);
    expect(parsed.username).toBe(`u${SPECIAL}`);
    expect(parsed.password).toBe(`p${SPECIAL}`);
    expect(parsed.host).toBe("sftp.example.com");
  });

  it("defaults the port, keeps key-only URLs password-less, and reads IPv6 literals", () => {
    expect(parseSftpUrl("sftp://bob@10.0.0.5")).toEqual({
      host: "10.0.0.5",
      port: 22,
      username: "bob",
      password: null,
      directory: "",
    });
    expect(parseSftpUrl("sftp://bob:@[::1]:2222/")).toMatchObject({
      host: "::1",
      port: 2222,
      password: "",
      directory: "/",
    });
  });

  it("reads /~/ as relative to the login directory, as curl does", () => {
    expect(parseSftpUrl("sftp://bob@h/~/inbound/syndic").directory).toBe("inbound/syndic");
    expect(parseSftpUrl("sftp://bob@h/~").directory).toBe("");
    expect(parseSftpUrl("sftp://bob@h/in%20box").directory).toBe("/in box");
  });

  it("tolerates an unencoded @ in the user name (e-mail style) by splitting at the last @", () => {
    expect(parseSftpUrl("sftp://jo@corp.example:pw@h:22/x")).toMatchObject({
      username: "jo@corp.example",
      password: "pw",
    });
  });

  it("says what is wrong without ever quoting the password", () => {
    const secret = "s3cr3t";
    const cases = [
      [`https://u:${secret}@h/`, /must start with sftp:\/\//],
      [`sftp://u:${secret}#x@h/`, /percent-encode them/],
      [`sftp://u:${secret} x@h/`, /contains a space/],
      [`sftp://u:${secret}%zz@h/`, /malformed percent-encoding in the password/],
      [`sftp://u:${secret}@h:99999/`, /port outside/],
      [`sftp://u:${secret}@h:port/`, /no valid host/],
      [`sftp://u:${secret}/x@h/`, /no user name|no valid host/],
      [`sftp://h:22/path`, /no user name/],
      [`sftp://u:${secret}@bad_host/`, /no valid host/],
    ] as const;
    for (const [url, reason] of cases) {
      const error = refusal(url);
      expect(error.message).toMatch(reason);
      expect(error.message).not.toContain(secret);
    }
  });
});
