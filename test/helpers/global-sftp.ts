import type { TestProject } from "vitest/node";
import { type SftpFixture, startSftpServers } from "./sftp-server";

declare module "vitest" {
  export interface ProvidedContext {
    sftp: SftpFixture;
  }
}

/** The loopback SSH/SFTP servers the workerd tests upload to (see sftp-server.ts for what each port does). */
export default async function setup(project: TestProject) {
  const servers = await startSftpServers();
  project.provide("sftp", servers.fixture);
  return () => servers.close();
}
