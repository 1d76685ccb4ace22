import { execFileSync } from "node:child_process";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { NOTIFY_LIMIT_IN_TESTS } from "./test/helpers/limits";

export const TEST_SECRETS = {
  ADMIN_TOKEN: "test-admin-token",
  // Test-only keys: 32 random bytes each, as the relay requires (openssl rand -base64 32).
  SECRETS_KEY: "Y8T/vNMx5JpZG+UHA4as3yxg5NxaNBTJLYc36TrUGm8=",
  LINK_SIGNING_KEY: "kzlJS/NFMfZhkeZ4W9gmhWQqRQ/0WbpSzDAVAvJqd1I=",
  ALLOW_INSECURE_URLS: "true",
};

export default defineConfig(async () => {
  // The Worker inlines the dashboard's bundle, src/ui/client.generated.ts (built, not committed): every project that
  // starts the Worker (workers, e2e) needs it fresh, including under a bare `npx vitest run`.
  execFileSync(process.execPath, ["scripts/build-ui.mjs"], { stdio: "inherit" });
  const migrations = await readD1Migrations("migrations");
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              main: "./src/index.ts",
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: { ...TEST_SECRETS, TEST_MIGRATIONS: migrations },
                // A small notify limit, so the rate-limit test needs dozens of calls rather than hundreds.
                ratelimits: { NOTIFY_LIMITER: { simple: { limit: NOTIFY_LIMIT_IN_TESTS, period: 60 } } },
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/integration/**/*.test.ts"],
            setupFiles: ["./test/helpers/apply-migrations.ts"],
            globalSetup: [
              "./test/helpers/global-sink.ts",
              "./test/helpers/global-sftp.ts",
              "./test/helpers/global-s3.ts",
              "./test/helpers/global-smtp.ts",
            ],
            testTimeout: 60_000,
            // Pipeline log lines are for operators, not for test output.
            onConsoleLog: (log: string) => !log.startsWith('{"at":'),
          },
        },
        {
          // Pure code in plain Node: no workerd, no bindings, so a change to a rule is checked in seconds.
          test: {
            name: "unit",
            include: ["test/unit/**/*.test.ts"],
            environment: "node",
            // Files share worker threads and their module instances: a fresh worker per file cost more than the
            // tests. Safe while unit tests mock no modules (conventions: never stub our own) and use unique keys
            // for module caches (compiled expressions); stubbed globals and spies are undone after each test.
            pool: "threads",
            isolate: false,
            unstubGlobals: true,
            restoreMocks: true,
            // A few tests build real archives (66,000 zip entries, a million CSV cells): seconds of work that a busy
            // 2-core machine can stretch far past vitest's 5 s default. No test here asserts a duration.
            testTimeout: 60_000,
          },
        },
        {
          test: {
            name: "e2e",
            include: ["test/e2e/**/*.test.ts"],
            environment: "node",
            testTimeout: 300_000,
            hookTimeout: 120_000,
            fileParallelism: false,
          },
        },
      ],
    },
  };
});
