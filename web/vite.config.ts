/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// In development the api runs next to Vite (`npm run dev` at the root); everything the api serves
// is proxied so the app talks to it same-origin, exactly as in production (no CORS, the refresh
// cookie stays SameSite=Strict). API_ORIGIN overrides where the api listens (PORT in src/config.ts).
const api = process.env.API_ORIGIN ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/ws': { target: api, ws: true },
      '/docs': { target: api },
      '/reference': { target: api },
      '/openapi.json': { target: api },
      '/admin/queues': { target: api },
    },
  },
  build: {
    // The bundle-size budget is checked on the entry's gzip size (see README); warn on any big chunk.
    chunkSizeWarningLimit: 400,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.tsx', 'src/**/*.test.ts'],
    setupFiles: ['./vitest.setup.ts'],
    css: false,
  },
});
