// The kit's own tests: the global setup starts the gateway binary once ($GATEWAY_BIN, or the cargo
// workspace's target/debug/gateway); test files run one after another, as they share it and reset it.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["./src/global-setup.js"],
    include: ["tests/**/*.test.js"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
