import type { SFTPWrapper } from "ssh2";

export interface SftpEntry {
  op: "open" | "write" | "close" | "remove" | "rename";
  path: string;
  to?: string;
  offset?: number;
  length?: number;
  status: string;
}

export interface SftpOptions {
  /** Where an SFTP path lives on the local disk. */
  onDisk: (path: string) => string;
  record?: (entry: SftpEntry) => void;
  /** True: OPEN answers PERMISSION_DENIED. */
  refuseOpen?: (path: string) => boolean;
  afterWrite?: (open: { path: string; written: number }) => void;
}

export function serveSftp(sftp: SFTPWrapper, options: SftpOptions): void;
