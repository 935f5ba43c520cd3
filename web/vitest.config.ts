// Unit tests of the UI's pure modules (no browser: editing, filters, drawing geometry and hit testing, errors).
import { defineConfig } from "vitest/config";

export default defineConfig({ test: { include: ["test/**/*.test.ts"], environment: "node" } });
