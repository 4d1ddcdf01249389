/** @type {import("next").NextConfig} */
const config = {
  reactStrictMode: true,
  // Native and Node-only packages stay outside the server bundle.
  serverExternalPackages: ["snowflake-sdk", "@google-cloud/bigquery", "pg", "pg-cursor", "mysql2", "ioredis", "s3rver"],
  // `npm test` typechecks the whole project (scripts and tests too) as its own stage;
  // repeating it here would only slow every start.
  typescript: { ignoreBuildErrors: true },
};

export default config;
