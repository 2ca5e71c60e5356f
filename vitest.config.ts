import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The package's own exports ('homa-nic/hdl', ...) resolve to the TypeScript sources
  // (condition 'source', as in tsconfig.json), so tests never need a build.
  resolve: { conditions: ['source', ...defaultServerConditions] },
  ssr: { resolve: { conditions: ['source', ...defaultServerConditions] } },
  test: {
    include: ['**/*.test.ts'],
    // Binds the seams (plugins/index.ts) before every test file: engines and Device backends.
    setupFiles: ['test/setup.ts'],
    exclude: ['node_modules/**', 'build/**', 'dist/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
