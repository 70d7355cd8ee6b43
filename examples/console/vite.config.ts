// The operator console's dev server: `npm run console` (port 5173, PUBLIC_APP_URL's default).
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({ plugins: [react()] });
