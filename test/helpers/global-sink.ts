import type { TestProject } from "vitest/node";
import { startSink } from "../../scripts/sink.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    sinkUrl: string;
  }
}

/** One loopback subscriber for the workerd tests: they reach it over real HTTP on 127.0.0.1. */
export default async function setup(project: TestProject) {
  const sink = await startSink();
  project.provide("sinkUrl", sink.url);
  return () => sink.close();
}
