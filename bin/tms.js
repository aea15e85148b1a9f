#!/usr/bin/env node
// Entry shim: registers tsx so the TypeScript sources run directly on Node 20 (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
