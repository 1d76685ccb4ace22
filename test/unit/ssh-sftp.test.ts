import { describe, expect, it } from "vitest";
import type { SessionChannel } from "../../src/transfer/ssh/channel";
import {
  closePacket,
  decodeReply,
  decodeVersion,
  initPacket,
  openPacket,
  posixRenamePacket,
  removePacket,
  renamePacket,
  SftpFramer,
  writePacket,
} from "../../src/transfer/ssh/sftp-packets";
import { SftpSession, SftpStatusError } from "../../src/transfer/ssh/sftp-session";
import { remotePaths } from "../../src/transfer/ssh/upload";
import { TransferError } from "../../src/transfer/types";

/** Layouts as draft-ietf-secsh-filexfer-02 §4–7 draws them, bytes written out by hand. */

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const unhex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ""), "hex"));
const str = (text: string) => `${text.length.toString(16).padStart(8, "0")}${Buffer.from(text).toString("hex")}`;

describe("SFTP v3 packets", () => {
  it("INIT asks for version 3", () => {
    expect(hex(initPacket())).toBe("00000005" + "01" + "00000003");
  });

  it("OPEN carries id, path, WRITE|CREAT|TRUNC and empty attributes", () => {
    const body = `03 00000007 ${str("/a")} 0000001a 00000000`.replace(/\s+/g, "");
    expect(hex(openPacket(7, "/a"))).toBe(`${(body.length / 2).toString(16).padStart(8, "0")}${body}`);
  });

  it("WRITE carries id, handle, a 64-bit offset and the data", () => {
    const handle = unhex("cafe");
    const data = unhex("010203");
    const body = `06 00000009 00000002cafe 0000000100000000 00000003010203`.replace(/\s+/g, "");
    expect(hex(writePacket(9, handle, 2 ** 32, data))).toBe(
      `${(body.length / 2).toString(16).padStart(8, "0")}${body}`,
    );
  });

  it("CLOSE, REMOVE, RENAME and the posix-rename extension", () => {
    const framed = (body: string) => `${(body.length / 2).toString(16).padStart(8, "0")}${body}`;
    expect(hex(closePacket(1, unhex("ab")))).toBe(framed("04" + "00000001" + "00000001ab"));
    expect(hex(removePacket(2, "x"))).toBe(framed(`0d00000002${str("x")}`));
    expect(hex(renamePacket(3, "a", "b"))).toBe(framed(`1200000003${str("a")}${str("b")}`));
    expect(hex(posixRenamePacket(4, "a", "b"))).toBe(
      framed(`c800000004${str("posix-rename@openssh.com")}${str("a")}${str("b")}`),
    );
  });

  it("reads VERSION with its extensions, STATUS with or without a message, and HANDLE", () => {
    const version = decodeVersion(
      unhex(`02 00000003 ${str("posix-rename@openssh.com")} ${str("1")} ${str("fsync@openssh.com")} ${str("1")}`),
    );
    expect(version.version).toBe(3);
    expect([...version.extensions]).toEqual([
      ["posix-rename@openssh.com", "1"],
      ["fsync@openssh.com", "1"],
    ]);
    expect(decodeReply(unhex(`65 00000005 00000003 ${str("Permission denied")} ${str("en")}`))).toMatchObject({
      type: 101,
      id: 5,
      code: 3,
      message: "Permission denied",
    });
    expect(decodeReply(unhex("65 00000006 00000000"))).toMatchObject({ id: 6, code: 0, message: "" });
    expect(decodeReply(unhex("66 00000007 00000004 deadbeef"))).toMatchObject({
      type: 102,
      id: 7,
      handle: unhex("deadbeef"),
    });
  });

  it("cuts a byte stream into packets wherever the chunks fall", () => {
    const framer = new SftpFramer();
    const stream = unhex("00000005 6500000001 00000002 6600 000002");
    expect(framer.push(stream.subarray(0, 3))).toEqual([]);
    const bodies = framer.push(stream.subarray(3, 12));
    expect(bodies.map(hex)).toEqual(["6500000001"]);
    expect(framer.push(stream.subarray(12)).map(hex)).toEqual(["6600"]);
    expect(() => new SftpFramer(100).push(unhex("00010000"))).toThrow(/malformed SFTP packet/);
  });
});

describe("SFTP status errors", () => {
  it("treats a missing or forbidden path as final and a generic failure as worth retrying", () => {
    const missing = new SftpStatusError(2, "open", "/nope/.f.part", "No such file");
    expect(missing.message).toBe("open /nope/.f.part: no such file or directory");
    expect(missing.retryable).toBe(false);
    const denied = new SftpStatusError(3, "open", "/ro/.f.part", "");
    expect([denied.message, denied.retryable]).toEqual(["open /ro/.f.part: permission denied", false]);
    const full = new SftpStatusError(4, "write", "/u/.f.part", "No space left on device");
    expect([full.message, full.retryable]).toEqual(["write /u/.f.part: failure (No space left on device)", true]);
    expect(new SftpStatusError(8, "rename", "a to b", "").retryable).toBe(false);
  });
});

/** A channel whose writes the test sees and whose answers the test gives. */
function fakeChannel() {
  const written: Uint8Array[] = [];
  const channel = {
    maxPacket: 32768,
    onData: (_data: Uint8Array) => {},
    onFailure: (_error: TransferError) => {},
    pump() {},
    async write(data: Uint8Array) {
      written.push(data);
    },
  };
  return { channel, written, session: channel as unknown as SessionChannel };
}

const answer = (body: string) => {
  const bytes = unhex(body);
  return new Uint8Array([...unhex(bytes.length.toString(16).padStart(8, "0")), ...bytes]);
};

describe("SftpSession", () => {
  it("starts with INIT, learns the extensions, and settles answers by id in any order", async () => {
    const { channel, written, session } = fakeChannel();
    const starting = SftpSession.start(session);
    await Promise.resolve();
    expect(hex(written[0])).toBe("000000050100000003");
    channel.onData(answer(`02 00000003 ${str("posix-rename@openssh.com")} ${str("1")}`));
    const sftp = await starting;
    expect(sftp.atomicRename).toBe(true);

    const first = sftp.write(unhex("aa"), 0, unhex("01"), "/f");
    const second = sftp.write(unhex("aa"), 1, unhex("02"), "/f");
    await Promise.resolve();
    const ids = written.slice(1).map((packet) => Buffer.from(packet).readUInt32BE(5));
    channel.onData(answer(`65 ${ids[1].toString(16).padStart(8, "0")} 00000000`));
    await expect(second).resolves.toBeUndefined();
    channel.onData(answer(`65 ${ids[0].toString(16).padStart(8, "0")} 00000004 ${str("disk full")} ${str("")}`));
    await expect(first).rejects.toThrow("write /f: failure (disk full)");

    const renaming = sftp.rename("/.f.part", "/f");
    await Promise.resolve();
    expect(written.at(-1)?.[4]).toBe(200);
    channel.onFailure(new TransferError("the server closed the SFTP channel", true));
    await expect(renaming).rejects.toThrow("the server closed the SFTP channel");
    await expect(sftp.remove("/f")).rejects.toThrow("the server closed the SFTP channel");
  });

  it("uses plain RENAME when the server does not list posix-rename", async () => {
    const { channel, written, session } = fakeChannel();
    const starting = SftpSession.start(session);
    await Promise.resolve();
    channel.onData(answer("02 00000003"));
    const sftp = await starting;
    expect(sftp.atomicRename).toBe(false);
    void sftp.rename("/.f.part", "/f").catch(() => {});
    await Promise.resolve();
    expect(written.at(-1)?.[4]).toBe(18);
  });

  it("refuses a server that speaks another SFTP version", async () => {
    const { channel, session } = fakeChannel();
    const starting = SftpSession.start(session);
    await Promise.resolve();
    channel.onData(answer("02 00000006"));
    await expect(starting).rejects.toThrow("the server speaks SFTP version 6, not 3");
  });

  it("sizes WRITE data so one request fits one channel packet", async () => {
    const { channel, session } = fakeChannel();
    const starting = SftpSession.start(session);
    await Promise.resolve();
    channel.onData(answer("02 00000003"));
    const sftp = await starting;
    expect(sftp.chunkSize(unhex("00000001"))).toBe(32768 - 29);
    channel.maxPacket = 2 ** 20;
    expect(sftp.chunkSize(unhex("00000001"))).toBe(32768);
  });
});

describe("remote paths", () => {
  it.each([
    ["", "f.zip", ".f.zip.part"],
    ["/upload", "/upload/f.zip", "/upload/.f.zip.part"],
    ["/upload/", "/upload/f.zip", "/upload/.f.zip.part"],
    ["/", "/f.zip", "/.f.zip.part"],
    ["inbound/syndic", "inbound/syndic/f.zip", "inbound/syndic/.f.zip.part"],
  ])("directory %j puts f.zip at %s via %s", (directory, final, temporary) => {
    expect(remotePaths(directory, "f.zip")).toEqual({ final, temporary });
  });

  it("refuses a file name with a directory in it", () => {
    expect(() => remotePaths("/upload", "../etc/passwd")).toThrow(TransferError);
    expect(() => remotePaths("/upload", "..")).toThrow(/cannot be used/);
  });
});
