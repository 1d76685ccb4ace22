// The SFTP v3 subset Syndic's client speaks (OPEN, WRITE, CLOSE, REMOVE, RENAME), on an `ssh2` server's SFTP stream,
// writing to the local disk: shared by the tests' loopback SSH servers (test/helpers/sftp-server.ts) and
// `npm run file-servers`, so both behave as one server.
import { closeSync, existsSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import ssh2 from "ssh2";

const { OPEN_MODE, STATUS_CODE, flagsToString } = ssh2.utils.sftp;

/**
 * @typedef {{ op: "open" | "write" | "close" | "remove" | "rename", path: string, to?: string, offset?: number,
 *   length?: number, status: string }} SftpEntry
 * @typedef {{ onDisk: (path: string) => string, record?: (entry: SftpEntry) => void,
 *   refuseOpen?: (path: string) => boolean, afterWrite?: (open: { path: string, written: number }) => void }} SftpOptions
 */

/** @param {import("ssh2").SFTPWrapper} sftp @param {SftpOptions} options */
export function serveSftp(sftp, { onDisk, record = () => {}, refuseOpen = () => false, afterWrite = () => {} }) {
  /** @type {Map<number, { fd: number, path: string, written: number }>} */
  const handles = new Map();
  let nextHandle = 1;
  const fail = (reqid, error) => {
    const code = error?.code;
    const status =
      code === "ENOENT"
        ? STATUS_CODE.NO_SUCH_FILE
        : code === "EACCES" || code === "EPERM"
          ? STATUS_CODE.PERMISSION_DENIED
          : STATUS_CODE.FAILURE;
    sftp.status(reqid, status);
    return status === STATUS_CODE.NO_SUCH_FILE
      ? "no such file"
      : status === STATUS_CODE.PERMISSION_DENIED
        ? "permission denied"
        : "failure";
  };
  const handleOf = (buffer) => handles.get(buffer.length === 4 ? buffer.readUInt32BE(0) : -1);

  sftp.on("OPEN", (reqid, path, flags) => {
    try {
      if (refuseOpen(path)) throw Object.assign(new Error("read-only"), { code: "EACCES" });
      const fd = openSync(onDisk(path), flagsToString(flags) ?? "r");
      const id = nextHandle++;
      handles.set(id, { fd, path, written: 0 });
      const handle = Buffer.alloc(4);
      handle.writeUInt32BE(id);
      record({ op: "open", path, status: flags & OPEN_MODE.WRITE ? "ok" : "ok (read only)" });
      sftp.handle(reqid, handle);
    } catch (error) {
      record({ op: "open", path, status: fail(reqid, error) });
    }
  });
  sftp.on("WRITE", (reqid, buffer, offset, data) => {
    const open = handleOf(buffer);
    if (!open) return sftp.status(reqid, STATUS_CODE.FAILURE);
    writeSync(open.fd, data, 0, data.length, offset);
    open.written += data.length;
    record({ op: "write", path: open.path, offset, length: data.length, status: "ok" });
    sftp.status(reqid, STATUS_CODE.OK);
    afterWrite(open);
  });
  sftp.on("CLOSE", (reqid, buffer) => {
    const open = handleOf(buffer);
    if (!open) return sftp.status(reqid, STATUS_CODE.FAILURE);
    closeSync(open.fd);
    handles.delete(buffer.readUInt32BE(0));
    record({ op: "close", path: open.path, status: "ok" });
    sftp.status(reqid, STATUS_CODE.OK);
  });
  sftp.on("REMOVE", (reqid, path) => {
    try {
      unlinkSync(onDisk(path));
      record({ op: "remove", path, status: "ok" });
      sftp.status(reqid, STATUS_CODE.OK);
    } catch (error) {
      record({ op: "remove", path, status: fail(reqid, error) });
    }
  });
  sftp.on("RENAME", (reqid, from, to) => {
    // SFTP v3 (and OpenSSH without posix-rename) refuses to replace an existing file.
    if (existsSync(onDisk(to))) {
      record({ op: "rename", path: from, to, status: "failure (target exists)" });
      return sftp.status(reqid, STATUS_CODE.FAILURE);
    }
    try {
      renameSync(onDisk(from), onDisk(to));
      record({ op: "rename", path: from, to, status: "ok" });
      sftp.status(reqid, STATUS_CODE.OK);
    } catch (error) {
      record({ op: "rename", path: from, to, status: fail(reqid, error) });
    }
  });
}
