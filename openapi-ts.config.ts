import { defineConfig } from '@hey-api/openapi-ts';

// Generates the typed client (types, SDK functions, fetch client runtime) from the
// hand-written spec. Run with `npm run generate`; never edit generated/ by hand.
export default defineConfig({
  input: 'openapi.yaml',
  output: {
    path: 'generated',
    clean: true,
  },
  plugins: ['@hey-api/typescript', '@hey-api/sdk', '@hey-api/client-fetch'],
});
