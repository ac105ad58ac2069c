import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two cores: suites that start servers and Redis connections run two at a time.
    maxWorkers: 2,
    globalSetup: ['test/support/global-setup.ts'],
  },
})
